package main

import (
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
	if code != 2 || !strings.Contains(errOut, "2 change(s) not sent: acknowledged, silenced or behind a DOWN host") {
		t.Errorf("run 1: exit %d, stderr %q", code, errOut)
	}
	if got := rcv.take(); !strings.Contains(got, "host-2: disk:/ CRIT (was OK)") || strings.Contains(got, "host-1") {
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
	if got := rcv.take(); code != 2 || !strings.Contains(got, "host-1: disk:/ CRIT (was OK)") || strings.Contains(got, "host-2") {
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
	if gauge("opsdeck_acknowledged", "disk:/") != 1 || gauge("opsdeck_silenced", "disk:/") != 0 || gauge("opsdeck_check_state", "disk:/") != 2 {
		t.Errorf("textfile:\n%s", b)
	}
	js, _, _ := opsdeck(t, env, "check", "-c", cfg, "--json")
	if !strings.Contains(js, `"acknowledged": "`) {
		t.Errorf("json:\n%s", js)
	}
}
