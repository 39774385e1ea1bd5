package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// receiver is a local webhook and heartbeat endpoint that keeps what it
// was sent.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	posts []string
	pings int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if req.URL.Path == "/ping" {
			r.pings++
			return
		}
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

// A silence on a tag, made with opsdeck silence add, holds back check
// --notify for the hosts it matches while another host's change is still
// posted; once it is expired with the host still CRIT, the next run posts
// it. --heartbeat is pinged once per completed run.
func TestCheck_SilenceHoldsBackTheMatchedHosts(t *testing.T) {
	rcv := newReceiver(t)
	f := fleettest.StartFleet(t, 2)
	var b strings.Builder
	fmt.Fprintf(&b, "[defaults]\nidentity_files = [%q]\nknown_hosts = %q\nssh_config = \"/dev/null\"\ntimeout = \"3s\"\nsecurity = false\n", f.ClientKey.Path, f.KnownHosts)
	b.WriteString(fleettest.Hermetic)
	for _, h := range f.Hosts {
		fmt.Fprintf(&b, "[[hosts]]\nname = %q\naddress = %q\nport = %d\nmounts = [\"/\"]\n", h.Name, h.Listen, h.Port)
		if h.Name == "host-1" {
			b.WriteString("tags = [\"kernel-upgrade\"]\n")
		}
		b.WriteString("[hosts.thresholds]\ndisk = { warn = 0.01, crit = 0.02 }\n")
	}
	cfg := writeFile(t, "fleet.toml", b.String())
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}
	check := []string{"check", "-c", cfg, "--notify", rcv.URL + "/hook", "--heartbeat", rcv.URL + "/ping"}

	out, errOut, code := opsdeck(t, env, "silence", "add", "--tag", "kernel-*", "--for", "1h", "--note", "kernel upgrade", "-c", cfg)
	if code != 0 || !strings.Contains(out, "matches host-1") {
		t.Fatalf("silence add: exit %d\n%s\n%s", code, out, errOut)
	}
	id := regexp.MustCompile(`sil-[0-9T]+-[0-9a-f]+`).FindString(out)
	_, errOut, code = opsdeck(t, env, check...)
	if code != 2 || !strings.Contains(errOut, "2 change(s) not sent: acknowledged or silenced") {
		t.Errorf("run 1: exit %d, stderr %q", code, errOut)
	}
	if got := rcv.take(); !strings.Contains(got, "host-2: disk / CRIT (was OK)") || strings.Contains(got, "host-1") {
		t.Errorf("run 1 posted:\n%s", got)
	}
	_, _, code = opsdeck(t, env, check...) // nothing new: nothing posted, still held
	if got := rcv.take(); code != 2 || got != "" {
		t.Errorf("run 2: exit %d, posted:\n%s", code, got)
	}
	if out, errOut, code := opsdeck(t, env, "silence", "expire", id, "-c", cfg); code != 0 {
		t.Fatalf("expire %s: exit %d\n%s\n%s", id, code, out, errOut)
	}
	_, _, code = opsdeck(t, env, check...)
	if got := rcv.take(); code != 2 || !strings.Contains(got, "host-1: disk / CRIT (was OK)") || strings.Contains(got, "host-2") {
		t.Errorf("run 3, the silence over: exit %d, posted:\n%s", code, got)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.pings != 3 {
		t.Errorf("%d heartbeats for 3 runs", rcv.pings)
	}
	audit, _, _ := opsdeck(t, env, "audit", "-c", cfg)
	if !strings.Contains(audit, "silenced") || !strings.Contains(audit, "removed") {
		t.Errorf("audit:\n%s", audit)
	}
}

// A scheduled silence starts at its time and ends at its end; a CRIT
// nobody acknowledges is sent again every renotify, and no more once
// acknowledged. The clock is the test's.
func TestNotify_ScheduledSilenceAndReminders(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	rcv := newReceiver(t)
	st := filesState()
	cfg := &fleet.Config{Hosts: []fleet.Host{{Name: "host-1"}, {Name: "host-2"}}}
	t0 := time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC)
	records := []oncall.Record{{Op: oncall.OpSilence, Silence: &oncall.Silence{ID: "s1", Match: oncall.Matcher{Hosts: []string{"host-1"}},
		From: t0.Add(time.Hour), Until: t0.Add(3 * time.Hour), Note: "kernel upgrade", By: "alice@a"}}}
	f := &checkFlags{notifyURL: rcv.URL + "/hook", notifyKind: "slack"}
	remind := map[fleet.State]time.Duration{fleet.Crit: 30 * time.Minute}
	rep := func(states map[string]fleet.State) Report {
		r := Report{Worst: fleet.OK}
		for _, h := range cfg.Hosts {
			s := states[h.Name]
			hr := HostReport{Name: h.Name, State: s}
			if s != fleet.OK {
				hr.Findings = []Finding{{Check: "disk /", Key: "disk:/", State: s, Reason: "disk / 97%"}}
			}
			r.Hosts = append(r.Hosts, hr)
			r.Worst = fleet.Worse(r.Worst, s)
		}
		return r
	}
	run := func(at time.Duration, states map[string]fleet.State) string {
		t.Helper()
		now := t0.Add(at)
		q := onCallQuiet(cfg, oncall.Fold(records), now)
		if _, err := notify(context.Background(), st, rep(states), f, q, remind, now); err != nil {
			t.Fatalf("at +%s: %v", at, err)
		}
		return rcv.take()
	}
	crit1 := map[string]fleet.State{"host-1": fleet.Crit}
	if got := run(30*time.Minute, crit1); !strings.Contains(got, "host-1: disk / CRIT (was OK)") {
		t.Errorf("+30m, before the silence: %q", got)
	}
	if got := run(65*time.Minute, map[string]fleet.State{"host-1": fleet.Warn}); got != "" {
		t.Errorf("+65m, in the silence: posted %q", got)
	}
	if got := run(3*time.Hour+time.Minute, map[string]fleet.State{"host-1": fleet.Warn}); !strings.Contains(got, "host-1: disk / WARN (was CRIT)") {
		t.Errorf("+3h01, the silence over: %q", got)
	}
	crit2 := map[string]fleet.State{"host-2": fleet.Crit}
	if got := run(4*time.Hour, crit2); !strings.Contains(got, "host-2: disk / CRIT (was OK)") {
		t.Errorf("+4h: %q", got)
	}
	if got := run(4*time.Hour+20*time.Minute, crit2); got != "" {
		t.Errorf("+4h20, within renotify: %q", got)
	}
	if got := run(4*time.Hour+40*time.Minute, crit2); !strings.Contains(got, "host-2: disk / still CRIT for 40m, not acknowledged") {
		t.Errorf("+4h40, renotify due: %q", got)
	}
	records = append(records, oncall.Record{Op: oncall.OpAck, Ack: &oncall.Ack{ID: "a1", Host: "host-2", Check: "disk:/", State: fleet.Crit, By: "bob@b", Note: "on it"}})
	if got := run(6*time.Hour, crit2); got != "" {
		t.Errorf("+6h, acknowledged: %q", got)
	}
	f.always = true // --notify-always sends every failing finding, but not an acknowledged one
	if got := run(6*time.Hour+5*time.Minute, crit2); strings.Contains(got, "host-2") {
		t.Errorf("--notify-always, acknowledged: %q", got)
	}
	f.always = false
	if got := run(6*time.Hour+10*time.Minute, nil); !strings.Contains(got, "host-2: disk / OK (was CRIT)") {
		t.Errorf("the resolution of an acknowledged CRIT: %q", got)
	}
}

// An acknowledgement is said in every format check writes, beside the
// unchanged state; bad input is refused with a clear message.
func TestAck_ExportedAndBadInput(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	cfg := checkConfig(t, f, map[string]float64{"host-1": 0.02}, false)
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}
	for _, u := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"ack", "host-1", "memory", "--note", "looking"}, exitConfig, "memory on host-1: the check is OK: there is nothing to acknowledge"},
		{[]string{"ack", "host-1", "disk:/nope", "--note", "looking"}, exitConfig, `host-1 has no check "disk:/nope" that fails now; failing: disk:/ (CRIT)`},
		{[]string{"ack", "host-1", "disk:/", "--note", "bad\x1b[2J"}, exitConfig, "control characters"},
		{[]string{"ack", "host-1", "disk:/", "--note", strings.Repeat("n", 201)}, exitConfig, "at most 200"},
		{[]string{"silence", "add", "--host", "host-1", "--note", "x"}, exitConfig, "needs an end"},
		{[]string{"silence", "add", "--host", "host-1", "--for", "200h", "--note", "x"}, exitConfig, "longer than the longest silence"},
		{[]string{"silence", "add", "--tag", "nope", "--for", "1h", "--note", "nothing yet"}, 0, "warning: tag=nope matches no host of the fleet now (made anyway"},
		{[]string{"ack", "host-1", "disk:/", "--note", "cleaning /var/log"}, 0, "acknowledged CRIT disk:/ on host-1"},
	} {
		out, errOut, code := opsdeck(t, env, append(u.args, "-c", cfg)...)
		if code != u.code || !strings.Contains(out+errOut, u.want) {
			t.Errorf("%v: exit %d, want %d and %q\n%s%s", u.args, code, u.code, u.want, out, errOut)
		}
	}
	prom := filepath.Join(t.TempDir(), "opsdeck.prom")
	out, _, code := opsdeck(t, env, "check", "-c", cfg, "--format", "nagios", "--textfile", prom)
	if code != 2 || !strings.Contains(out, "host-1 CRIT disk /: ") || !strings.Contains(out, "[acknowledged by ") || !strings.Contains(out, ": cleaning /var/log]") {
		t.Errorf("nagios: exit %d\n%s", code, out)
	}
	b, err := os.ReadFile(prom)
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	gauge := func(name, check string) float64 {
		for _, m := range fams[name].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "check" && l.GetValue() == check {
					return m.GetGauge().GetValue()
				}
			}
		}
		return -1
	}
	if gauge("opsdeck_acknowledged", "disk /") != 1 || gauge("opsdeck_silenced", "disk /") != 0 || gauge("opsdeck_check_state", "disk /") != 2 {
		t.Errorf("textfile:\n%s", b)
	}
	js, _, _ := opsdeck(t, env, "check", "-c", cfg, "--json")
	if !strings.Contains(js, `"acknowledged": "`) {
		t.Errorf("json:\n%s", js)
	}
}

// While opsdeck restarts a service, and for a while after, its failure is
// the restart's own: not notified.
func TestNotify_RestartByOpsdeckIsQuiet(t *testing.T) {
	now := time.Now()
	audit := &memAuditLog{es: []actions.Entry{
		{ID: "1", Time: now.Add(-30 * time.Second), Host: "web-1", Kind: "restart", Target: "nginx", Outcome: actions.Succeeded, Operator: "alice@a"},
		{ID: "2", Time: now.Add(-time.Hour), Host: "web-2", Kind: "restart", Target: "nginx", Outcome: actions.Succeeded},
		{ID: "3", Time: now.Add(-time.Hour), Host: "web-3", Kind: "restart", Target: "api", Outcome: actions.Started},
	}}
	q := restartsQuiet(audit, now)
	for _, u := range []struct {
		host, key string
		quiet     bool
	}{
		{"web-1", "service:nginx", true}, {"web-1", "service:api", false}, {"web-2", "service:nginx", false}, {"web-3", "service:api", true},
	} {
		if got := q(u.host, u.key) != ""; got != u.quiet {
			t.Errorf("%s %s: quiet %v, want %v", u.host, u.key, got, u.quiet)
		}
	}
}

type memAuditLog struct{ es []actions.Entry }

func (m *memAuditLog) Append(e actions.Entry) error        { m.es = append(m.es, e); return nil }
func (m *memAuditLog) Recent(int) ([]actions.Entry, error) { return m.es, nil }
func (m *memAuditLog) Where() string                       { return "memory" }

// A host that stops answering does not end its acknowledgements: its
// checks are unknown, not OK.
func TestJudged_HostNotAnswering(t *testing.T) {
	h := &fleet.Host{Name: "web-1", Limits: fleet.DefaultLimits, PollInterval: fleet.Duration{Duration: 5 * time.Second}, Timeout: fleet.Duration{Duration: 5 * time.Second}}
	now := time.Now()
	s := fleet.HostStatus{Host: h, Last: &fleet.Sample{At: now, Disks: []fleet.Disk{{Mount: "/var", Total: 100, Used: 97, Free: 3}}}}
	if cs, ok := judged(&s, now); !ok || len(cs) == 0 {
		t.Fatalf("answering: %v %v", cs, ok)
	}
	s.Err, s.ErrAt = "connection refused", now
	if cs, ok := judged(&s, now); ok {
		t.Errorf("a host that does not answer is judged: %v", cs)
	}
	if _, ok := judged(&fleet.HostStatus{Host: h}, now); ok {
		t.Error("a host never polled is judged")
	}
}
