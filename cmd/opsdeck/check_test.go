package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
	"github.com/opsdeck/opsdeck/fleet/report"
)

func checkConfig(t *testing.T, f *fleettest.Fleet, diskCrit map[string]float64, security bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[defaults]\nidentity_files = [%q]\nknown_hosts = %q\nssh_config = \"/dev/null\"\ntimeout = \"3s\"\nsecurity = %v\n", f.ClientKey.Path, f.KnownHosts, security)
	b.WriteString(fleettest.Hermetic)
	for _, h := range f.Hosts {
		fmt.Fprintf(&b, "[[hosts]]\nname = %q\naddress = %q\nport = %d\n", h.Name, h.Listen, h.Port)
		if c, ok := diskCrit[h.Name]; ok {
			// Only /: the test host is this machine, whose other mounts
			// (writable tmpfs are watched) are whatever it has.
			fmt.Fprintf(&b, "mounts = [\"/\"]\n[hosts.thresholds]\ndisk = { warn = %g, crit = %g }\n", c/2, c)
		}
	}
	return writeFile(t, "check.toml", b.String())
}

func TestCheck_JSON(t *testing.T) {
	f := fleettest.StartFleet(t, 3)
	f.Hosts[2].Stop() // host-3: sshd stopped
	cfg := checkConfig(t, f, map[string]float64{"host-2": 2}, false)
	out, errOut, code := opsdeck(t, []string{"XDG_STATE_HOME=" + t.TempDir()}, "check", "--json", "-c", cfg)
	if code != 2 {
		t.Errorf("exit %d, want 2\n%s\n%s", code, out, errOut)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	states := map[string]report.HostReport{}
	for _, h := range rep.Hosts {
		states[h.Name] = h
	}
	if h := states["host-1"]; h.State != fleet.OK || len(h.Findings) != 0 {
		t.Errorf("host-1 %+v", h)
	}
	if h := states["host-2"]; h.State != fleet.Crit || len(h.Findings) != 1 || h.Findings[0].Check != "disk /" || h.Findings[0].Key != "disk:/" || !strings.Contains(h.Findings[0].Reason, "≥ 2%") {
		t.Errorf("host-2 %+v", h)
	}
	if h := states["host-3"]; h.State != fleet.Down || !strings.Contains(h.Reason, "refused") {
		t.Errorf("host-3 %+v", h)
	}
	if rep.Worst != fleet.Down {
		t.Errorf("worst %s", rep.Worst)
	}
	// The plain report lists the same findings.
	out, _, code = opsdeck(t, []string{"XDG_STATE_HOME=" + t.TempDir()}, "check", "-c", cfg)
	if code != 2 || !strings.Contains(out, "host-2") || !strings.Contains(out, "host-3") || strings.Contains(out, "host-1 ") ||
		!strings.Contains(out, "3 host(s): 1 OK, 1 CRIT, 1 DOWN · worst DOWN") {
		t.Errorf("exit %d\n%s", code, out)
	}
	if _, _, code := opsdeck(t, nil, "check", "--bogus"); code != 3 {
		t.Errorf("usage error: exit %d, want 3", code)
	}
	if _, _, code := opsdeck(t, nil, "check", "-c", "/nonexistent.toml"); code != 3 {
		t.Errorf("config error: exit %d, want 3", code)
	}
}

func TestCheck_NotifiesOncePerChange(t *testing.T) {
	var mu sync.Mutex
	var posts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]string
		if json.Unmarshal(b, &m) != nil || m["text"] == "" {
			http.Error(w, "want {\"text\": …}", 400)
			return
		}
		mu.Lock()
		posts = append(posts, m["text"])
		mu.Unlock()
	}))
	defer srv.Close()
	f := fleettest.StartFleet(t, 1)
	state := t.TempDir()
	env := []string{"XDG_STATE_HOME=" + state}
	cmdOut := filepath.Join(t.TempDir(), "mail")
	notifyArgs := []string{"--notify", srv.URL, "--notify-cmd", "cat >> " + cmdOut}

	full := checkConfig(t, f, map[string]float64{"host-1": 2}, false)
	_, errOut, code := opsdeck(t, env, append([]string{"check", "-c", full}, notifyArgs...)...)
	if code != 2 {
		t.Fatalf("run 1: exit %d %s", code, errOut)
	}
	_, _, code = opsdeck(t, env, append([]string{"check", "-c", full}, notifyArgs...)...) // nothing changed
	if code != 2 {
		t.Fatalf("run 2: exit %d", code)
	}
	healthy := checkConfig(t, f, nil, false)
	_, errOut, code = opsdeck(t, env, append([]string{"check", "-c", healthy}, notifyArgs...)...) // recovered
	if code != 0 {
		t.Fatalf("run 3: exit %d %s", code, errOut)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posts) != 2 {
		t.Fatalf("%d notifications over three runs with two changes:\n%s", len(posts), strings.Join(posts, "\n---\n"))
	}
	if !strings.Contains(posts[0], "host-1: disk:/ CRIT (was OK)") || !strings.Contains(posts[1], "host-1: disk:/ OK (was CRIT)") {
		t.Errorf("notifications:\n%s", strings.Join(posts, "\n---\n"))
	}
	mail, _ := os.ReadFile(cmdOut)
	if strings.Count(string(mail), "opsdeck: worst") != 2 {
		t.Errorf("notify-cmd got:\n%s", mail)
	}

	// A notification that cannot be delivered is reported and retried;
	// the run completed, so the dead man's switch is pinged all the same.
	srv.Close()
	beat := newReceiver(t)
	_, errOut, code = opsdeck(t, env, "check", "-c", full, "--notify", srv.URL, "--heartbeat", beat.URL+"/ping")
	if code != 2 || !strings.Contains(errOut, "notification failed") {
		t.Errorf("failed notification: exit %d, stderr %q", code, errOut)
	}
	beat.mu.Lock()
	if beat.pings != 1 {
		t.Errorf("%d heartbeats for a run whose notification failed", beat.pings)
	}
	beat.mu.Unlock()
	b, _ := os.ReadFile(filepath.Join(state, "opsdeck", "check-state.json"))
	if strings.Contains(string(b), `"host-1/disk:/":"CRIT"`) {
		t.Errorf("state saved although the notification failed: %s", b)
	}
}

// A webhook that redirects is not followed (the report would go to an
// address nobody configured), and a failed webhook's token — the path of
// its URL — is never printed.
func TestCheck_WebhookRedirectAndToken(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/collect", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	f := fleettest.StartFleet(t, 1)
	cfg := checkConfig(t, f, map[string]float64{"host-1": 2}, false) // a finding to notify
	const token = "/services/T000/B000/s3cr3tt0ken"
	_, errOut, code := opsdeck(t, nil, "check", "-c", cfg, "--notify-always", "--notify", redirect.URL+token)
	if code != 2 || !strings.Contains(errOut, "redirects are not followed") {
		t.Errorf("redirecting webhook: exit %d, stderr %q", code, errOut)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the report was re-posted to the redirect target %d time(s)", n)
	}
	redirect.Close()
	_, errOut, _ = opsdeck(t, nil, "check", "-c", cfg, "--notify-always", "--notify", redirect.URL+token)
	if strings.Contains(errOut, "s3cr3tt0ken") || !strings.Contains(errOut, "notification failed: webhook http://127.0.0.1:") {
		t.Errorf("unreachable webhook: stderr %q (the URL's path must not be shown)", errOut)
	}
}

// check reads the inventories on each run: one that fails is said on
// stderr and makes the run UNKNOWN at best (hosts may be missing), while
// the hosts it has are checked.
func TestCheck_FailingInventory(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	cfg := checkConfig(t, f, nil, false)
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(data, []byte("[[inventory]]\nname = \"cmdb\"\nkind = \"ansible\"\ncommand = [\"sh\", \"-c\", \"echo cmdb unreachable >&2; exit 4\"]\n")...), 0o644)
	out, errOut, code := opsdeck(t, []string{"XDG_STATE_HOME=" + t.TempDir()}, "check", "-c", cfg)
	if code != 3 || !strings.Contains(errOut, "inventory cmdb: command sh exited 4: cmdb unreachable; none of its hosts are watched") ||
		!strings.Contains(out, "1 host(s): 1 OK") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// Every format says it: the plugin's status word is its exit status's,
	// and Prometheus gets opsdeck_inventory_up 0 to alert on.
	prom := filepath.Join(t.TempDir(), "opsdeck.prom")
	out, errOut, code = opsdeck(t, []string{"XDG_STATE_HOME=" + t.TempDir()}, "check", "-c", cfg, "--format", "nagios", "--textfile", prom)
	if code != 3 || !strings.HasPrefix(out, "OPSDECK UNKNOWN - 1 host(s), 1 OK; inventory cmdb: ") {
		t.Errorf("nagios: exit %d\n%s\n%s", code, out, errOut)
	}
	data, err := os.ReadFile(prom)
	if err != nil || !strings.Contains(string(data), `opsdeck_inventory_up{inventory="cmdb"} 0`) {
		t.Errorf("textfile (%v):\n%s", err, data)
	}
	promtoolClean(t, prom)
}

// promtoolClean fails unless Prometheus' own linter finds nothing to say
// of the exposition in path.
func promtoolClean(t *testing.T, path string) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is not installed (Debian: apt-get install prometheus; make test installs it when root): %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = f
	if out, err := cmd.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		data, _ := os.ReadFile(path)
		t.Errorf("promtool check metrics: %v\n%s\n%s", err, out, data)
	}
}
