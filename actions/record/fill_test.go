package record

import (
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// A dashboard restarted in the middle forecasts at once from the history
// the record kept: the same forecast as before the restart.
func TestFill_KeptAcrossRestart(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	hosts := []fleet.Host{{Name: "db-1", Limits: fleet.DefaultLimits}}
	store := fleet.NewStore(hosts)
	t0 := time.Now().Add(-8 * time.Hour)
	for m := time.Duration(0); m <= 8*time.Hour; m += time.Minute {
		used := uint64((0.30 + 0.03*m.Hours()) * (16 << 30))
		at := t0.Add(m)
		store.Record(fleet.Observation{Host: "db-1", At: at, Sample: &fleet.Sample{At: at,
			Disks: []fleet.Disk{{Mount: "/var", Total: 16 << 30, Used: used, Free: 16<<30 - used}}}})
	}
	before, _ := store.Status("db-1")
	if !fillOf(before, "/var").Space.Filling {
		t.Fatalf("no forecast to keep: %+v", before.Fill)
	}
	rec := Files()
	if err := rec.SaveFill(store); err != nil {
		t.Fatal(err)
	}
	again := fleet.NewStore(hosts)
	if err := rec.LoadFill(again); err != nil {
		t.Fatal(err)
	}
	after, _ := again.Status("db-1")
	if fillOf(after, "/var") != fillOf(before, "/var") {
		t.Errorf("after a restart %+v, before %+v", fillOf(after, "/var"), fillOf(before, "/var"))
	}
}

func fillOf(st fleet.HostStatus, mount string) fleet.MountForecast {
	f, _ := st.Fill.Of(mount)
	return f
}
