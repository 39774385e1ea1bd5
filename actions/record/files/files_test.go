package files_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions/record/files"
	"github.com/opsdeck/opsdeck/fleet"
)

func TestEventLog_Rotates(t *testing.T) {
	l := &files.EventLog{Path: filepath.Join(t.TempDir(), "s", "events.jsonl"), MaxBytes: 300}
	for i := 0; i < 10; i++ {
		if err := l.Append([]fleet.Event{{Time: time.Unix(int64(i), 0), Host: "h", Check: "c", From: "OK", To: "CRIT", Reason: strings.Repeat("x", 50) + "\x1b[31m"}}); err != nil {
			t.Fatal(err)
		}
	}
	es, err := l.Read(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) == 0 || len(es) >= 10 || es[len(es)-1].Time.Unix() != 9 {
		t.Errorf("%d events kept, last %v: want the newest, bounded", len(es), es[len(es)-1].Time)
	}
	for i := 1; i < len(es); i++ {
		if es[i].Time.Before(es[i-1].Time) {
			t.Errorf("not oldest first: %v", es)
		}
	}
	if strings.Contains(es[0].Reason, "\x1b") {
		t.Error("reason not sanitised")
	}
}

// One overlong line (a damaged or hostile record) hides nothing after it.
func TestDrillLog_OverlongLineSkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drills.jsonl")
	l := &files.DrillLog{Path: path}
	l.Append(fleet.DrillRecord{Host: "a", Backup: "b", DrillID: "1", Passed: true})
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"host":"` + strings.Repeat("x", 3<<20) + "\"}\n")
	f.Close()
	l.Append(fleet.DrillRecord{Host: "a", Backup: "b", DrillID: "2", Passed: false})
	recs, err := l.Load()
	if err != nil || len(recs) != 2 || recs[1].DrillID != "2" {
		t.Errorf("%d records, err %v", len(recs), err)
	}
}

// A value is written atomically in a private directory and read back with
// when it was written; one never written is not found.
func TestValues(t *testing.T) {
	v := files.Values{Dir: filepath.Join(t.TempDir(), "state")}
	if _, _, found, err := v.Value("check-state"); found || err != nil {
		t.Fatalf("before any write: found %v, %v", found, err)
	}
	if err := v.SetValue("check-state", []byte(`{"a/host":"OK"}`)); err != nil {
		t.Fatal(err)
	}
	b, at, found, err := v.Value("check-state")
	if err != nil || !found || string(b) != `{"a/host":"OK"}` || time.Since(at) > time.Minute {
		t.Errorf("%q %v %v %v", b, at, found, err)
	}
	if fi, err := os.Stat(v.Dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("state directory: %v %v", fi.Mode(), err)
	}
}
