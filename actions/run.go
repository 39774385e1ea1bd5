package actions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// Executor runs a command on a host, streaming its output to out, and
// returns the exit status.
type Executor interface {
	Exec(ctx context.Context, h *fleet.Host, cmd string, out io.Writer) (int, error)
}

// Result is how an attempted action ended.
type Result struct {
	Plan     *Plan
	Outcome  string // Succeeded, Failed, Refused, Cancelled
	Exit     int
	Err      error // why it did not succeed; nil on success
	Duration time.Duration
	Tail     []string // last lines of output
	Ran      bool     // the command ran to its end and Exit is its status
	TimedOut bool     // it did not finish within its timeout
	Skipped  bool     // not run: the host was skipped (DOWN) or the run cancelled first
}

// Errors that refuse an action before it runs.
var (
	ErrReadOnly = errors.New("read-only mode: actions are disabled")
	ErrBusy     = errors.New("another action on this target is running")
)

// TailLines is how many output lines a result and its audit entry keep.
const TailLines = 20

// Manager runs actions under the policy: read-only refuses everything, one
// action per (host, target) at a time across every opsdeck process on this
// machine, an intent record is committed to the audit log before anything
// runs (no record, no action), and the result record follows.
type Manager struct {
	Exec     Executor
	Audit    AuditLog
	ReadOnly bool
	Operator string
	// Locks holds targets across processes; nil: lock files in LockDir
	// (default: "locks" beside a file audit log).
	Locks   Locker
	LockDir string
	// Before is called just before a plan's command runs (e.g. a restart
	// done by opsdeck is not a crash); After when it ended (e.g. poll the
	// host at once).
	Before func(p *Plan)
	After  func(host string)
	// SilenceOf names the silence a host is under now ("" for none), for
	// its actions' audit records.
	SilenceOf func(host string) string

	running sync.WaitGroup
	runs    runs
}

// Wait blocks until every running action has ended and been recorded.
func (m *Manager) Wait() { m.running.Wait() }

// Cancelled records a plan the operator declined at the confirmation.
func (m *Manager) Cancelled(p *Plan) Result {
	r := Result{Plan: p, Outcome: Cancelled, Err: errors.New("not confirmed")}
	m.record(NewAuditID(), &r)
	return r
}

// Run executes a confirmed plan, sending each output line to onLine (which
// may be nil) as it arrives. onLine must not block: the dashboard's runs
// (Start) give it a ring that never does.
func (m *Manager) Run(ctx context.Context, p *Plan, onLine func(string)) Result {
	m.running.Add(1)
	defer m.running.Done()
	r := Result{Plan: p}
	id := NewAuditID()
	release, err := m.admit(p)
	if err != nil {
		r.Outcome, r.Err = Refused, err
		if aerr := m.record(id, &r); aerr != nil {
			r.Err = errors.Join(err, aerr)
		}
		return r
	}
	defer release()
	if err := m.Audit.Append(m.entry(id, &r, Started)); err != nil {
		r.Outcome, r.Err = Refused, fmt.Errorf("%w, refusing to act unrecorded: %v", ErrAudit, err)
		return r
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	lw := &lineWriter{onLine: onLine}
	if m.Before != nil {
		m.Before(p)
	}
	start := time.Now()
	exit, err := m.Exec.Exec(ctx, p.Host, p.Command, lw)
	lw.flush()
	r.Duration, r.Exit, r.Tail = time.Since(start), exit, lw.tail
	r.Ran = err == nil && ctx.Err() == nil
	switch {
	case errors.Is(ctx.Err(), context.Canceled) && context.Cause(ctx) != context.Canceled:
		r.Outcome, r.Err = Interrupted, fmt.Errorf("%v: the command was asked to stop", context.Cause(ctx))
	case errors.Is(ctx.Err(), context.Canceled):
		r.Outcome, r.Err = Cancelled, errors.New("cancelled by the operator")
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		r.Outcome, r.Err, r.TimedOut = Failed, fmt.Errorf("did not finish within %s", timeout), true
	case err != nil:
		r.Outcome, r.Err = Failed, err
	case exit != 0:
		r.Outcome, r.Err = Failed, explain(exit, lw.tail)
	default:
		r.Outcome = Succeeded
	}
	if err := m.record(id, &r); err != nil {
		// The action happened but its result could not be recorded (its
		// intent was): say so loudly, whatever the outcome.
		r.Err = errors.Join(r.Err, fmt.Errorf("%s, but the audit log failed to record it: %w", r.Outcome, err))
	}
	if m.After != nil {
		m.After(p.Host.Name)
	}
	return r
}

// ErrAudit refuses an action whose record cannot be written.
var ErrAudit = errors.New("audit log unwritable")

// admit applies the policy before anything is recorded: read-only, then
// the target's lock.
func (m *Manager) admit(p *Plan) (func(), error) {
	if m.ReadOnly && !p.ReadOnlyOK {
		return nil, ErrReadOnly
	}
	return m.locks().Lock(p.Host.Name, p.Target, string(p.Kind), m.Operator)
}

func (m *Manager) entry(id string, r *Result, outcome string) Entry {
	e := Entry{
		ID: id, Time: time.Now().UTC(), Operator: m.Operator, Host: r.Plan.Host.Name, Kind: r.Plan.Kind,
		Target: r.Plan.Target, Command: r.Plan.Command, Outcome: outcome,
		DurationMS: r.Duration.Milliseconds(), Output: r.Tail,
	}
	if r.Ran {
		exit := r.Exit
		e.Exit = &exit
	}
	if r.Err != nil {
		e.Reason = r.Err.Error()
	}
	if m.SilenceOf != nil {
		e.Silence = m.SilenceOf(e.Host)
	}
	return e
}

func (m *Manager) record(id string, r *Result) error {
	return m.Audit.Append(m.entry(id, r, r.Outcome))
}

// explain turns a failed command's output into a reason an operator can act
// on.
func explain(exit int, tail []string) error {
	out := strings.Join(tail, "\n")
	switch {
	case strings.Contains(out, "sudo: a password is required"), strings.Contains(out, "sudo: a terminal is required"):
		return fmt.Errorf("exit %d: sudo needs a password on this host; allow the command with NOPASSWD in sudoers", exit)
	case len(tail) > 0:
		return fmt.Errorf("exit %d: %s", exit, fleet.Sanitize(tail[len(tail)-1], 200))
	}
	return fmt.Errorf("exit %d", exit)
}

// lineWriter splits streamed output into sanitised lines.
type lineWriter struct {
	onLine func(string)
	buf    bytes.Buffer
	tail   []string
	mu     sync.Mutex
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		i := bytes.IndexByte(w.buf.Bytes(), '\n')
		if i < 0 {
			if w.buf.Len() > 4096 { // a very long line: emit what we have
				w.emit(w.buf.String())
				w.buf.Reset()
			}
			return len(p), nil
		}
		line := string(w.buf.Next(i + 1))
		w.emit(strings.TrimRight(line, "\r\n"))
	}
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() > 0 {
		w.emit(w.buf.String())
		w.buf.Reset()
	}
}

func (w *lineWriter) emit(line string) {
	line = fleet.Sanitize(line, fleet.MaxText)
	w.tail = append(w.tail, line)
	if len(w.tail) > TailLines {
		w.tail = w.tail[len(w.tail)-TailLines:]
	}
	if w.onLine != nil {
		w.onLine(line)
	}
}

func skipReason(skip func(*Plan) string, p *Plan) string {
	if skip == nil {
		return ""
	}
	return skip(p)
}

// RollingProgress is how often a rolling restart says it is still waiting
// for a host to be healthy again.
var RollingProgress = 3 * time.Second

// Every calls fn with the time waited, every d, until stop or ctx ends;
// stop returns once fn is no longer running.
func Every(ctx context.Context, d time.Duration, fn func(waited time.Duration)) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				fn(time.Since(start))
			}
		}
	}()
	return func() { close(done); <-finished }
}

// Rolling runs plans one host at a time: after each success it waits until
// healthy says the target is healthy again, and it stops at the first
// failure, leaving the remaining hosts untouched (their results say so).
// Each step is said as a line of its host: restarting, waiting, runs
// again, skipped; progress is told about every result.
func (m *Manager) Rolling(ctx context.Context, plans []*Plan, healthy func(context.Context, *Plan) error, skip func(*Plan) string,
	onLine func(p *Plan, line string), progress func(i int, r Result)) []Result {
	results := make([]Result, 0, len(plans))
	line := func(p *Plan, l string) {
		if onLine != nil {
			onLine(p, l)
		}
	}
	for i, p := range plans {
		if why := skipReason(skip, p); why != "" {
			r := Result{Plan: p, Outcome: Cancelled, Err: fmt.Errorf("skipped: %s", why)}
			if err := m.record(NewAuditID(), &r); err != nil {
				r.Err = errors.Join(r.Err, err)
			}
			line(p, "── skipped: "+why)
			results = append(results, r)
			if progress != nil {
				progress(i, r)
			}
			continue
		}
		line(p, fmt.Sprintf("── %s %s (%d of %d)", p.Kind, p.Target, i+1, len(plans)))
		r := m.Run(ctx, p, func(l string) { line(p, l) })
		if r.Outcome == Succeeded && healthy != nil {
			line(p, "── waiting until "+p.Target+" runs again")
			stop := Every(ctx, RollingProgress, func(waited time.Duration) {
				line(p, fmt.Sprintf("── still waiting for %s (%s)", p.Target, waited.Round(time.Second)))
			})
			err := healthy(ctx, p)
			stop()
			if err != nil {
				r.Outcome, r.Err = Failed, fmt.Errorf("restarted, but not healthy again: %w", err)
			} else {
				line(p, "── "+p.Target+" runs again")
			}
		}
		results = append(results, r)
		if progress != nil {
			progress(i, r)
		}
		if r.Outcome != Succeeded {
			for _, rest := range plans[i+1:] {
				skipped := Result{Plan: rest, Outcome: Cancelled, Err: fmt.Errorf("not run: %s failed on %s", p.Target, p.Host.Name)}
				line(rest, "── skipped: "+skipped.Err.Error())
				if err := m.record(NewAuditID(), &skipped); err != nil {
					skipped.Err = errors.Join(skipped.Err, err)
				}
				results = append(results, skipped)
			}
			break
		}
	}
	return results
}
