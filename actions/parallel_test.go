package actions

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

type funcExec func(ctx context.Context, h *fleet.Host, cmd string, out io.Writer) (int, error)

func (f funcExec) Exec(ctx context.Context, h *fleet.Host, cmd string, out io.Writer) (int, error) {
	return f(ctx, h, cmd, out)
}

// runbookPlans plans the command "check" on n hosts web01…
func runbookPlans(t *testing.T, n int) []*Plan {
	t.Helper()
	var plans []*Plan
	for i := range n {
		h := &fleet.Host{Name: fmt.Sprintf("web%02d", i+1), Commands: []fleet.Command{{Name: "check", Command: "echo {host}", Kind: "inspect"}}}
		p, err := PlanCommand(h, "check")
		if err != nil {
			t.Fatal(err)
		}
		plans = append(plans, p)
	}
	return plans
}

// A parallel run keeps to its bound, gives each host its own output and
// both audit records, and its outputs group as clush -b does.
func TestParallel_BoundedGroupedAudited(t *testing.T) {
	var running, most atomic.Int32
	ex := funcExec(func(ctx context.Context, h *fleet.Host, cmd string, out io.Writer) (int, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		if h.Name == "web07" {
			io.WriteString(out, "worker 3 is stuck\n")
			return 2, nil
		}
		io.WriteString(out, "all fine\n")
		return 0, nil
	})
	audit := &memAudit{}
	m := &Manager{Exec: ex, Audit: audit, LockDir: t.TempDir(), Operator: "t@x"}
	plans := runbookPlans(t, 40)
	r := m.Start(context.Background(), Request{Plans: plans, Parallel: 4})
	<-r.Done()
	if most.Load() > 4 || most.Load() < 1 {
		t.Errorf("at most %d ran at once, want 1…4", most.Load())
	}
	if r.Title != "run check on web[01-40] (40)" {
		t.Errorf("title %q", r.Title)
	}
	groups := GroupOutputs(r.Outputs())
	if len(groups) != 2 || groups[0].Label != "web[01-06,08-40] (39)" || groups[0].Output[0] != "all fine" ||
		groups[1].Label != "web07 (1)" || groups[1].Exit != 2 || groups[1].Err != "" {
		t.Errorf("groups: %+v", groups)
	}
	per := map[string][]string{}
	for _, e := range audit.entries() {
		per[e.Host] = append(per[e.Host], e.Outcome)
	}
	for _, p := range plans {
		want := []string{Started, Succeeded}
		if p.Host.Name == "web07" {
			want[1] = Failed
		}
		if got := per[p.Host.Name]; strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s audited %v, want %v", p.Host.Name, got, want)
		}
	}
}

// x on a parallel run stops every host: the running ones are cancelled,
// the queued ones never start, and each host's audit says cancelled.
func TestParallel_CancelRecordsEveryHost(t *testing.T) {
	var started atomic.Int32
	ex := funcExec(func(ctx context.Context, h *fleet.Host, cmd string, out io.Writer) (int, error) {
		started.Add(1)
		<-ctx.Done()
		return 0, ctx.Err()
	})
	audit := &memAudit{}
	m := &Manager{Exec: ex, Audit: audit, LockDir: t.TempDir(), Operator: "t@x"}
	plans := runbookPlans(t, 6)
	r := m.Start(context.Background(), Request{Plans: plans, Parallel: 2})
	fleettest.Eventually(t, 10*time.Second, "two hosts running", func() bool { return started.Load() == 2 })
	r.Cancel()
	<-r.Done()
	if started.Load() != 2 {
		t.Errorf("%d hosts started, want the 2 with a slot", started.Load())
	}
	last := map[string]Entry{}
	for _, e := range audit.entries() {
		last[e.Host] = e
	}
	for _, h := range r.Hosts() {
		s, res := h.State()
		if s != HostDone || res.Outcome != Cancelled {
			t.Errorf("%s: state %d, %+v", h.Host, s, res)
		}
		if e := last[h.Host]; e.Outcome != Cancelled || !strings.Contains(e.Reason, "cancelled") {
			t.Errorf("%s: last audit record %+v", h.Host, e)
		}
	}
}

// A host the poller shows DOWN is skipped, said, and audited; the others
// run.
func TestParallel_SkipsDownHosts(t *testing.T) {
	var mu sync.Mutex
	ran := map[string]bool{}
	ex := funcExec(func(ctx context.Context, h *fleet.Host, cmd string, out io.Writer) (int, error) {
		mu.Lock()
		ran[h.Name] = true
		mu.Unlock()
		return 0, nil
	})
	m := &Manager{Exec: ex, Audit: &memAudit{}, LockDir: t.TempDir(), Operator: "t@x"}
	plans := runbookPlans(t, 3)
	skip := func(p *Plan) string {
		if p.Host.Name == "web02" {
			return "host is DOWN: connection refused"
		}
		return ""
	}
	r := m.Start(context.Background(), Request{Plans: plans, Parallel: 8, Skip: skip})
	<-r.Done()
	if ran["web02"] || !ran["web01"] || !ran["web03"] {
		t.Errorf("ran on %v", ran)
	}
	groups := GroupOutputs(r.Outputs())
	if len(groups) != 2 || groups[1].Label != "web02 (1)" || groups[1].Err != "skipped: host is DOWN: connection refused" {
		t.Errorf("groups %+v", groups)
	}
}

// A host printing 100 MB is cut at its ring's bound: the newest HostLines
// lines are kept, the rest counted, and the grouping says so.
func TestParallel_FloodIsCutAtTheRing(t *testing.T) {
	const total = 100 << 20
	line := strings.Repeat("x", 999) + "\n"
	chunk := []byte(strings.Repeat(line, 64)) // 64,000 bytes
	ex := funcExec(func(ctx context.Context, h *fleet.Host, cmd string, out io.Writer) (int, error) {
		for n := 0; n < total; n += len(chunk) {
			out.Write(chunk)
		}
		io.WriteString(out, "the end\n")
		return 0, nil
	})
	m := &Manager{Exec: ex, Audit: &memAudit{}, LockDir: t.TempDir(), Operator: "t@x"}
	r := m.Start(context.Background(), Request{Plans: runbookPlans(t, 1), Parallel: 1})
	<-r.Done()
	outs := r.Outputs()
	lines := (total+len(chunk)-1)/len(chunk)*64 + 1
	kept := len(outs[0].Output)
	if len(outs) != 1 || kept > HostLines || kept < HostLines*9/10 || outs[0].Dropped != lines-kept ||
		outs[0].Output[kept-1] != "the end" {
		t.Fatalf("kept %d lines, dropped %d (of %d), last %q", len(outs[0].Output), outs[0].Dropped, lines, outs[0].Output[len(outs[0].Output)-1])
	}
	if g := GroupOutputs(outs); g[0].Dropped != outs[0].Dropped {
		t.Errorf("the group does not say what was cut: %+v", g[0].Dropped)
	}
}

func (a *memAudit) entries() []Entry {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Entry(nil), a.es...)
}
