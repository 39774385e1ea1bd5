package fleet

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// fakeSource returns a sample per call, or blocks until ctx ends when block
// is set.
type fakeSource struct {
	calls atomic.Int32
	block bool
}

func (f *fakeSource) Sample(ctx context.Context) (*Sample, error) {
	f.calls.Add(1)
	if f.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return okSample(time.Now()), nil
}

func TestPoller(t *testing.T) {
	base := runtime.NumGoroutine()
	c := &Config{Hosts: []Host{
		{Name: "fast", PollInterval: Duration{time.Hour}, Timeout: Duration{time.Second}},
		{Name: "hung", PollInterval: Duration{time.Hour}, Timeout: Duration{50 * time.Millisecond}},
		{Name: "remote", PollInterval: Duration{time.Hour}},
	}}
	fast, hung := &fakeSource{}, &fakeSource{block: true}
	store := NewStore(c.Hosts)
	p := NewPoller(c, store, func(h *Host) (Source, string) {
		switch h.Name {
		case "fast":
			return fast, ""
		case "hung":
			return hung, ""
		}
		return nil, "no transport for " + h.Name
	})
	ctx, cancel := context.WithCancel(context.Background())
	p.Start(ctx)
	status := func(i int) HostStatus { s, _ := store.Snapshot(); return s[i] }

	fleettest.Eventually(t, 5*time.Second, "the first poll, at once", func() bool { return status(0).Last != nil })
	fleettest.Eventually(t, 5*time.Second, "the hung host's timeout", func() bool { return status(1).Err != "" })
	if got := status(1).Err; got != context.DeadlineExceeded.Error() {
		t.Errorf("hung host error = %q", got)
	}
	if st := status(2); st.Note != "no transport for remote" || st.Polls != 0 {
		t.Errorf("unpollable host: %+v", st)
	}
	if Assess(&[]HostStatus{status(1)}[0], time.Now()).State != Down {
		t.Error("hung host is not DOWN")
	}

	p.PollNow("fast")
	fleettest.Eventually(t, 5*time.Second, "the poll asked for", func() bool { return fast.calls.Load() == 2 })
	if status(0).Polls != 2 {
		t.Errorf("polls = %d, want 2", status(0).Polls)
	}

	cancel()
	done := make(chan struct{})
	go func() { p.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("pollers did not stop after cancel")
	}
	fleettest.Eventually(t, 5*time.Second, "goroutines back to baseline", func() bool { return runtime.NumGoroutine() <= base })
}

func TestPoller_ShutdownIsNotAFailure(t *testing.T) {
	c := &Config{Hosts: []Host{{Name: "hung", PollInterval: Duration{time.Hour}, Timeout: Duration{time.Hour}}}}
	src := &fakeSource{block: true}
	store := NewStore(c.Hosts)
	p := NewPoller(c, store, func(*Host) (Source, string) { return src, "" })
	ctx, cancel := context.WithCancel(context.Background())
	p.Start(ctx)
	fleettest.Eventually(t, 5*time.Second, "the poll to start", func() bool { return src.calls.Load() == 1 })
	cancel()
	p.Wait()
	if s, _ := store.Snapshot(); s[0].Err != "" {
		t.Errorf("cancelled poll recorded as failure: %q", s[0].Err)
	}
}

func TestBackoff(t *testing.T) {
	for _, u := range []struct {
		interval time.Duration
		fails    int
		want     time.Duration
	}{
		{5 * time.Second, 0, 5 * time.Second}, {5 * time.Second, 1, 5 * time.Second},
		{5 * time.Second, 2, 10 * time.Second}, {5 * time.Second, 4, 40 * time.Second},
		{5 * time.Second, 10, 40 * time.Second}, {time.Minute, 5, 2 * time.Minute},
		{10 * time.Minute, 3, 10 * time.Minute},
	} {
		if got := backoff(u.interval, u.fails); got != u.want {
			t.Errorf("backoff(%v, %d) = %v, want %v", u.interval, u.fails, got, u.want)
		}
	}
}

func TestJitter(t *testing.T) {
	for i := 0; i < 1000; i++ {
		d := jitter(10 * time.Second)
		if d < 9*time.Second || d > 11*time.Second {
			t.Fatalf("jitter(10s) = %v, want within ±10%%", d)
		}
	}
}

// Hosts whose polls hang hold no slot a healthy host needs: 70 hung hosts
// among 140 (more than any shared cap of polls) do not delay the first data
// of the 70 healthy ones, even with an hour-long timeout.
func TestPoller_HungHostsDoNotDelayHealthyOnes(t *testing.T) {
	c := &Config{}
	for i := range 140 {
		c.Hosts = append(c.Hosts, Host{Name: fmt.Sprintf("h%03d", i), PollInterval: Duration{time.Hour}, Timeout: Duration{time.Hour}})
	}
	hung, ok := &fakeSource{block: true}, &fakeSource{}
	store := NewStore(c.Hosts)
	p := NewPoller(c, store, func(h *Host) (Source, string) {
		var i int
		fmt.Sscanf(h.Name, "h%d", &i)
		if i%2 == 0 {
			return hung, ""
		}
		return ok, ""
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); p.Wait() }()
	p.Start(ctx)
	fleettest.Eventually(t, 10*time.Second, "data from all 70 healthy hosts", func() bool {
		snap, _ := store.Snapshot()
		n := 0
		for i := range snap {
			if snap[i].Last != nil {
				n++
			}
		}
		return n == 70
	})
	fleettest.Eventually(t, 10*time.Second, "all 70 hung polls in flight", func() bool { return hung.calls.Load() == 70 })
}

// Once gives every host one poll and names the ones with no answer when
// the pass runs out of time.
func TestPoller_OnceNamesHostsWithoutAnswer(t *testing.T) {
	c := &Config{Hosts: []Host{
		{Name: "ok", PollInterval: Duration{time.Hour}, Timeout: Duration{time.Hour}},
		{Name: "hung", PollInterval: Duration{time.Hour}, Timeout: Duration{time.Hour}},
	}}
	store := NewStore(c.Hosts)
	p := NewPoller(c, store, func(h *Host) (Source, string) {
		if h.Name == "hung" {
			return &fakeSource{block: true}, ""
		}
		return &fakeSource{}, ""
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	p.Once(ctx, Full)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Once took %v with a 300ms deadline", took)
	}
	snap, _ := store.Snapshot()
	if snap[0].Last == nil || snap[0].Err != "" {
		t.Errorf("ok host: %+v", snap[0])
	}
	if !strings.HasPrefix(snap[1].Err, "no answer within ") || strings.HasSuffix(snap[1].Err, " 0s") {
		t.Errorf("hung host: %q", snap[1].Err)
	}
	if Assess(&snap[1], time.Now()).State != Down {
		t.Errorf("hung host is not DOWN")
	}
}
