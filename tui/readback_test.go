package tui

import (
	"regexp"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/fleet"
)

// A host read back from its poller's series, not in this config: its
// detail says who judges it and that opsdeck cannot reach it, shows no
// made-up sizes, and no thresholds it was not given; a configured host
// read back shows its configured ones.
func TestDetailView_ReadBack(t *testing.T) {
	m, store, _ := fixture(t)
	send(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	judged := func(name string, st fleet.State, disk float64) fleet.Judged {
		smp := &fleet.Sample{At: now, CPU: 12, Cores: 1, Load1: 0.2, MemTotal: 1e12, MemUsed: 3e11, Relative: true,
			Disks: []fleet.Disk{{Mount: "/", Total: 1e12, Used: uint64(disk * 1e10), Free: 1e12 - uint64(disk*1e10)}}}
		v := &fleet.Verdict{State: st, At: now, Judged: now, By: "0/4 of site eu", Checks: []fleet.Check{
			{Kind: fleet.KindCPU, Name: "cpu", Value: 12, Unit: "%", State: fleet.OK}}}
		return fleet.Judged{Name: name, Verdict: v, Figures: smp}
	}
	store.Judge([]fleet.Judged{judged("far-1", fleet.OK, 40), judged("app-1", fleet.OK, 40)}, fleet.Host{}, nil)
	send(m, tickMsg(now))
	send(m, keys("/far-1")...)
	send(m, enter, enter)
	v := m.View()
	for _, want := range []string{"far-1", "not in this config", "judged by its poller 0/4 of site eu", "(from its poller)"} {
		if !strings.Contains(v, want) {
			t.Errorf("far-1's detail lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "GiB") || strings.Contains(v, "TiB") ||
		!regexp.MustCompile(`cpu +\(from its poller\) +12% +- +- `).MatchString(v) || !regexp.MustCompile(`(?m)^/ +- +40% +- +- `).MatchString(v) {
		t.Errorf("far-1's detail makes up sizes or thresholds:\n%s", v)
	}
	send(m, esc, esc) // the detail, then the filter
	send(m, keys("/app-1")...)
	send(m, enter, enter)
	if v := m.View(); !strings.Contains(v, "app-1") || !strings.Contains(v, "80%") || !strings.Contains(v, "judged by its poller") {
		t.Errorf("app-1 (configured) shows no configured thresholds:\n%s", v)
	}
}
