package actions

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/opsdeck/opsdeck/fleet"
)

// HostLines is how many output lines a host's run of a runbook command
// keeps (the newest; lines are at most fleet.MaxText bytes, so a host
// holds at most 256 KiB however much it prints). What it drops is counted.
const HostLines = 500

// HostRun is one host's part of a parallel run: its output in a ring of
// its own, and where it stands.
type HostRun struct {
	Host string

	lineRing
	mu     sync.Mutex
	state  HostState
	result Result
}

// HostState is where a host's part of a parallel run stands.
type HostState int

// The states of a host's part, in order.
const (
	HostQueued  HostState = iota // waiting for a slot
	HostRunning                  // its command runs
	HostDone                     // ended: its Result says how
)

// State is where the host stands, and its result once HostDone.
func (h *HostRun) State() (HostState, Result) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.state, h.result
}

func (h *HostRun) set(s HostState, r Result) {
	h.mu.Lock()
	h.state, h.result = s, r
	h.mu.Unlock()
}

// Output is what the host's run gave, for GroupOutputs: its kept lines,
// how many were dropped, its exit status or why it did not finish. It is
// meant for a host that is HostDone.
func (h *HostRun) Output() HostOutput {
	lines, dropped, _ := h.Lines(0)
	_, r := h.State()
	o := HostOutput{Host: h.Host, Exit: r.Exit, Output: lines, Dropped: dropped}
	switch {
	case r.Ran:
	case r.Outcome == Cancelled && r.Err != nil: // its reason says cancelled, or skipped
		o.Err = fleet.Sanitize(r.Err.Error(), 200)
	case r.Err != nil: // refused, timed out, connection lost
		o.Err = r.Outcome + ": " + fleet.Sanitize(r.Err.Error(), 200)
	default:
		o.Err = r.Outcome
	}
	return o
}

// Hosts are the parts of a parallel run, in the order of its plans; nil
// for any other run.
func (r *Run) Hosts() []*HostRun { return r.hosts }

// Outputs are the finished hosts' outputs, in plan order.
func (r *Run) Outputs() []HostOutput {
	var out []HostOutput
	for _, h := range r.hosts {
		if s, _ := h.State(); s == HostDone {
			out = append(out, h.Output())
		}
	}
	return out
}

// parallel runs q's plans on their hosts at once, at most q.Parallel at a
// time, each host's output in its own ring. A host Skip names is not run;
// once ctx ends the hosts still waiting are not started. Every host gets
// its audit records either way: a skipped or never started host its
// cancelled one, the others their intent and result (Run).
func (m *Manager) parallel(ctx context.Context, q Request, r *Run, line func(string)) []Result {
	results := make([]Result, len(q.Plans))
	slots := make(chan struct{}, q.Parallel)
	var wg sync.WaitGroup
	for i, p := range q.Plans {
		hr := r.hosts[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := m.hostTurn(ctx, q, p, hr, slots)
			hr.set(HostDone, res)
			results[i] = res
			line(fmt.Sprintf("── %s: %s", p.Host.Name, Describe(res)))
		}()
	}
	wg.Wait()
	return results
}

// hostTurn waits for a slot and runs one host's plan in it.
func (m *Manager) hostTurn(ctx context.Context, q Request, p *Plan, hr *HostRun, slots chan struct{}) Result {
	select {
	case slots <- struct{}{}:
		defer func() { <-slots }()
	case <-ctx.Done():
	}
	if ctx.Err() != nil {
		return m.notRun(p, errors.New("cancelled by the operator before it started"))
	}
	if why := skipReason(q.Skip, p); why != "" {
		return m.notRun(p, fmt.Errorf("skipped: %s", why))
	}
	hr.set(HostRunning, Result{})
	return m.Run(ctx, p, hr.add)
}

// notRun records a plan that was not run, and why.
func (m *Manager) notRun(p *Plan, why error) Result {
	res := Result{Plan: p, Outcome: Cancelled, Err: why, Skipped: true}
	if err := m.record(NewAuditID(), &res); err != nil {
		res.Err = errors.Join(res.Err, err)
	}
	return res
}
