package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/report"
)

// receiver is a local webhook that keeps what it was sent.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	posts []string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		var m map[string]string
		if json.Unmarshal(b, &m) != nil {
			http.Error(w, "want JSON", 400)
			return
		}
		r.posts = append(r.posts, m["text"])
	}))
	t.Cleanup(r.Close)
	return r
}

// take returns what was posted since the last take.
func (r *receiver) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := strings.Join(r.posts, "\n---\n")
	r.posts = nil
	return out
}

// memValues are the record's values in memory.
type memValues map[string][]byte

func (m memValues) Value(name string) ([]byte, time.Time, bool, error) {
	b, ok := m[name]
	return b, time.Time{}, ok, nil
}

func (m memValues) SetValue(name string, b []byte) error {
	m[name] = b
	return nil
}

// hostOf finds a host of cfg by name.
func hostOf(cfg *fleet.Config) func(string) *fleet.Host {
	return func(name string) *fleet.Host {
		for i := range cfg.Hosts {
			if cfg.Hosts[i].Name == name {
				return &cfg.Hosts[i]
			}
		}
		return nil
	}
}

// A scheduled silence starts at its time and ends at its end; a CRIT
// nobody acknowledges is sent again every renotify, and no more once
// acknowledged. The clock is the test's.
func TestNotify_ScheduledSilenceAndReminders(t *testing.T) {
	rcv := newReceiver(t)
	rec := Record{Values: memValues{}}
	cfg := &fleet.Config{Hosts: []fleet.Host{{Name: "host-1"}, {Name: "host-2"}}}
	t0 := time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC)
	records := []oncall.Record{{Op: oncall.OpSilence, Silence: &oncall.Silence{ID: "s1", Match: oncall.Matcher{Hosts: []string{"host-1"}},
		From: t0.Add(time.Hour), Until: t0.Add(3 * time.Hour), Note: "kernel upgrade", By: "alice@a"}}}
	o := Options{URL: rcv.URL + "/hook", Kind: "slack", Remind: map[fleet.State]time.Duration{fleet.Crit: 30 * time.Minute}}
	rep := func(states map[string]fleet.State) report.Report {
		r := report.Report{Worst: fleet.OK}
		for _, h := range cfg.Hosts {
			s := states[h.Name]
			hr := report.HostReport{Name: h.Name, State: s}
			if s != fleet.OK {
				hr.Findings = []report.Finding{{Check: "disk /", Key: "disk:/", State: s, Reason: "disk / 97%"}}
			}
			r.Hosts = append(r.Hosts, hr)
			r.Worst = fleet.Worse(r.Worst, s)
		}
		return r
	}
	run := func(at time.Duration, states map[string]fleet.State) string {
		t.Helper()
		now := t0.Add(at)
		o.Quiet = oncall.Fold(records).Quiet(hostOf(cfg), now)
		if _, err := Send(context.Background(), rec, rep(states), o, now); err != nil {
			t.Fatalf("at +%s: %v", at, err)
		}
		return rcv.take()
	}
	crit1 := map[string]fleet.State{"host-1": fleet.Crit}
	if got := run(30*time.Minute, crit1); !strings.Contains(got, "host-1: disk:/ CRIT (was OK)") {
		t.Errorf("+30m, before the silence: %q", got)
	}
	if got := run(65*time.Minute, map[string]fleet.State{"host-1": fleet.Warn}); got != "" {
		t.Errorf("+65m, in the silence: posted %q", got)
	}
	if got := run(3*time.Hour+time.Minute, map[string]fleet.State{"host-1": fleet.Warn}); !strings.Contains(got, "host-1: disk:/ WARN (was CRIT)") {
		t.Errorf("+3h01, the silence over: %q", got)
	}
	crit2 := map[string]fleet.State{"host-2": fleet.Crit}
	if got := run(4*time.Hour, crit2); !strings.Contains(got, "host-2: disk:/ CRIT (was OK)") {
		t.Errorf("+4h: %q", got)
	}
	if got := run(4*time.Hour+20*time.Minute, crit2); got != "" {
		t.Errorf("+4h20, within renotify: %q", got)
	}
	if got := run(4*time.Hour+40*time.Minute, crit2); !strings.Contains(got, "host-2: disk:/ still CRIT for 40m, not acknowledged") {
		t.Errorf("+4h40, renotify due: %q", got)
	}
	records = append(records, oncall.Record{Op: oncall.OpAck, Ack: &oncall.Ack{ID: "a1", Host: "host-2", Check: "disk:/", State: fleet.Crit, By: "bob@b", Note: "on it"}})
	if got := run(6*time.Hour, crit2); got != "" {
		t.Errorf("+6h, acknowledged: %q", got)
	}
	o.Always = true // --notify-always sends every failing finding, but not an acknowledged one
	if got := run(6*time.Hour+5*time.Minute, crit2); strings.Contains(got, "host-2") {
		t.Errorf("--notify-always, acknowledged: %q", got)
	}
	o.Always = false
	if got := run(6*time.Hour+10*time.Minute, nil); !strings.Contains(got, "host-2: disk:/ OK (was CRIT)") {
		t.Errorf("the resolution of an acknowledged CRIT: %q", got)
	}
}
