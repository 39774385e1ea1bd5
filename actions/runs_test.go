package actions

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// floodExec prints n lines, then waits for release (or ctx).
type floodExec struct {
	n       int
	release chan struct{}
}

func (f *floodExec) Exec(ctx context.Context, h *fleet.Host, _ string, out io.Writer) (int, error) {
	for i := range f.n {
		fmt.Fprintf(out, "%s line %d\n", h.Name, i)
	}
	select {
	case <-f.release:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return 0, nil
}

// A run whose output nobody reads never blocks: two runs streaming far
// more than the ring holds, started one after the other with no reader,
// both end and are recorded; the ring keeps the newest lines and counts
// the dropped ones.
func TestStart_OutputNobodyReadsNeverBlocks(t *testing.T) {
	hs := hosts(t)
	ex := &floodExec{n: 5 * RunLines, release: make(chan struct{})}
	m := &Manager{Exec: ex, Audit: &memAudit{}, LockDir: t.TempDir(), Operator: "t@x"}
	p1, _ := PlanRestart(&hs[0], "api")
	p2, _ := PlanRestart(&hs[1], "pg")
	r1 := m.Start(context.Background(), Request{Plans: []*Plan{p1}})
	r2 := m.Start(context.Background(), Request{Plans: []*Plan{p2}})
	if m.Running() != 2 {
		t.Errorf("running %d, want 2", m.Running())
	}
	close(ex.release)
	for _, r := range []*Run{r1, r2} {
		select {
		case <-r.Done():
		case <-time.After(20 * time.Second):
			t.Fatalf("%s never ended: its output blocked it", r.Title)
		}
		if rs := r.Results(); len(rs) != 1 || rs[0].Outcome != Succeeded {
			t.Errorf("%s: %+v", r.Title, rs)
		}
		lines, dropped, next := r.Lines(0)
		if next != 5*RunLines || dropped+len(lines) != next || len(lines) > RunLines || lines[len(lines)-1] != fmt.Sprintf("%s line %d", r.Results()[0].Plan.Host.Name, 5*RunLines-1) {
			t.Errorf("%s: %d kept, %d dropped, next %d, last %q", r.Title, len(lines), dropped, next, lines[len(lines)-1])
		}
		if more, _, again := r.Lines(next); len(more) != 0 || again != next {
			t.Errorf("read past the end: %d lines", len(more))
		}
	}
	es, _ := m.Audit.Recent(10)
	if len(es) != 2 || es[0].Outcome != Succeeded || es[1].Outcome != Succeeded {
		t.Errorf("audit %+v", es)
	}
	if m.Running() != 0 {
		t.Errorf("running %d after the end", m.Running())
	}
}

// The intent is committed before the command runs; a run that never
// recorded its result shows as started.
func TestRun_IntentBeforeTheCommand(t *testing.T) {
	hs := hosts(t)
	p, _ := PlanRestart(&hs[0], "api")
	audit := &memAudit{}
	var seen []Entry
	ex := execFunc(func() { seen, _ = audit.Recent(5) })
	m := &Manager{Exec: ex, Audit: audit, LockDir: t.TempDir(), Operator: "t@x"}
	if r := m.Run(context.Background(), p, nil); r.Outcome != Succeeded {
		t.Fatalf("%+v", r)
	}
	if len(seen) != 1 || seen[0].Outcome != Started || seen[0].Command != p.Command || seen[0].ID == "" {
		t.Errorf("while the command ran the audit log held %+v, want its intent", seen)
	}
	es, _ := audit.Recent(5)
	if len(es) != 1 || es[0].Outcome != Succeeded || es[0].ID != seen[0].ID {
		t.Errorf("after: %+v", es)
	}
}

type execFunc func()

func (f execFunc) Exec(context.Context, *fleet.Host, string, io.Writer) (int, error) {
	f()
	return 0, nil
}
