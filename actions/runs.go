package actions

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// Request is what a Start runs: one plan, a rolling series of plans (one
// host at a time, waiting for Healthy, stopping at the first failure), or a
// restore drill.
type Request struct {
	Plans   []*Plan
	Healthy func(context.Context, *Plan) error // rolling only; nil: no wait
	// Skip, rolling only, says why a host is not restarted in its turn
	// ("" to go on): a host the poller shows DOWN would only wait for its
	// timeout. The others still get their turn.
	Skip func(*Plan) string
	// Drill, when set, is run instead of Plans and recorded in Drills;
	// OnDrill is told of the record (e.g. the store, so the screen shows it).
	Drill   *Drill
	Drills  DrillHistory
	OnDrill func(fleet.DrillRecord)
	// Parallel, when above 0, runs Plans (a runbook command) on their
	// hosts at once, at most Parallel at a time, each host's output in a
	// ring of its own (Run.Hosts); Skip names hosts not to run on.
	Parallel int
}

// Title names what a request does, for a panel or a header.
func (q Request) Title() string {
	if q.Drill != nil {
		q.Plans = []*Plan{q.Drill.Plan}
	}
	switch {
	case len(q.Plans) == 1:
		return fmt.Sprintf("%s %s on %s", q.Plans[0].Kind, q.Plans[0].Target, q.Plans[0].Host.Name)
	case len(q.Plans) > 1 && q.Parallel > 0:
		names := make([]string, len(q.Plans))
		for i, p := range q.Plans {
			names[i] = p.Host.Name
		}
		return fmt.Sprintf("%s %s on %s", q.Plans[0].Kind, q.Plans[0].Target, NodeSet(names))
	case len(q.Plans) > 1:
		return fmt.Sprintf("rolling %s of %s on %d hosts", q.Plans[0].Kind, q.Plans[0].Target, len(q.Plans))
	}
	return "nothing"
}

// RunLines is how many output lines a Run keeps; older ones are dropped
// (and counted), never waited for.
const RunLines = 1000

// Run is one started request: its output, kept in a bounded ring the runner
// never blocks on, and its results once done. Readers poll it.
type Run struct {
	ID      int
	Title   string
	Started time.Time
	cancel  context.CancelFunc
	done    chan struct{}

	lineRing // its output, the newest RunLines

	hosts []*HostRun // a parallel run's hosts; fixed at Start

	mu      sync.Mutex
	results []Result
}

// Done is closed when the run has ended and been recorded.
func (r *Run) Done() <-chan struct{} { return r.done }

// Finished reports whether the run has ended.
func (r *Run) Finished() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// Results are the run's results, once Finished.
func (r *Run) Results() []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.results
}

// Cancel asks the run to stop: its command gets SIGTERM and its grace.
func (r *Run) Cancel() { r.cancel() }

// runs is the manager's registry of started runs.
type runs struct {
	mu   sync.Mutex
	last int
	list []*Run // newest last; finished ones beyond keepRuns are dropped
}

const keepRuns = 20

// Start runs a confirmed request in the background and returns at once.
// The run is counted by Wait before its goroutine starts.
func (m *Manager) Start(ctx context.Context, q Request) *Run {
	ctx, cancel := context.WithCancel(ctx)
	m.runs.mu.Lock()
	m.runs.last++
	r := &Run{ID: m.runs.last, Title: q.Title(), Started: time.Now(), cancel: cancel, done: make(chan struct{}), lineRing: lineRing{max: RunLines}}
	if q.Parallel > 0 && q.Drill == nil {
		for _, p := range q.Plans {
			r.hosts = append(r.hosts, &HostRun{Host: p.Host.Name, lineRing: lineRing{max: HostLines}})
		}
	}
	m.runs.list = append(m.runs.list, r)
	if extra := len(m.runs.list) - keepRuns; extra > 0 {
		kept := m.runs.list[:0]
		for _, x := range m.runs.list {
			if extra > 0 && x.Finished() {
				extra--
				continue
			}
			kept = append(kept, x)
		}
		m.runs.list = kept
	}
	m.runs.mu.Unlock()
	m.running.Add(1)
	go func() {
		defer m.running.Done()
		defer cancel()
		rs := m.do(ctx, q, r)
		r.mu.Lock()
		r.results = rs
		r.mu.Unlock()
		close(r.done)
	}()
	return r
}

// Runs are the started runs still kept, oldest first.
func (m *Manager) Runs() []*Run {
	m.runs.mu.Lock()
	defer m.runs.mu.Unlock()
	return append([]*Run(nil), m.runs.list...)
}

// Running counts the runs not finished yet.
func (m *Manager) Running() int {
	n := 0
	for _, r := range m.Runs() {
		if !r.Finished() {
			n++
		}
	}
	return n
}

// do runs a request to its end, telling r each output line.
func (m *Manager) do(ctx context.Context, q Request, r *Run) []Result {
	line := r.add
	if q.Drill != nil && q.Drills == nil { // no history to record it in: a plain command
		q.Plans, q.Drill = []*Plan{q.Drill.Plan}, nil
	}
	switch {
	case q.Drill != nil:
		r, rec := m.RunDrill(ctx, q.Drill, q.Drills, line)
		if rec != nil {
			line(fmt.Sprintf("── drill %s: %s", map[bool]string{true: "PASS", false: "FAIL"}[rec.Passed], rec.DrillID))
			if q.OnDrill != nil {
				q.OnDrill(*rec)
			}
		}
		return []Result{r}
	case r.hosts != nil:
		return m.parallel(ctx, q, r, line)
	case len(q.Plans) == 1:
		return []Result{m.Run(ctx, q.Plans[0], line)}
	case len(q.Plans) > 1:
		return m.Rolling(ctx, q.Plans, q.Healthy, q.Skip,
			func(p *Plan, l string) { line(p.Host.Name + " | " + l) },
			func(i int, r Result) { line(fmt.Sprintf("── %s: %s", r.Plan.Host.Name, Describe(r))) })
	}
	return nil
}

// Describe is a result in one line: outcome, duration, reason.
func Describe(r Result) string {
	s := r.Outcome
	if r.Duration > 0 {
		s += " in " + r.Duration.Round(time.Millisecond).String()
	}
	if r.Err != nil {
		s += ": " + r.Err.Error()
	}
	return s
}
