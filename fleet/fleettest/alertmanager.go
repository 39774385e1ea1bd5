package fleettest

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Alertmanager is a real Prometheus Alertmanager (Debian's
// prometheus-alertmanager) on a 127.0.0.1 port, clustering off, its own
// storage, stopped by PID at cleanup.
type Alertmanager struct {
	URL string // http://127.0.0.1:PORT
}

// StartAlertmanager starts one and waits until it is ready; the test fails
// with a clear message when the binary is not installed.
func StartAlertmanager(tb testing.TB) *Alertmanager {
	tb.Helper()
	bin, err := exec.LookPath("prometheus-alertmanager")
	if err != nil {
		if bin, err = exec.LookPath("alertmanager"); err != nil {
			tb.Fatal("Alertmanager is not installed (Debian: apt-get install prometheus-alertmanager; `make test` installs it when root)")
		}
	}
	dir := tb.TempDir()
	conf := filepath.Join(dir, "alertmanager.yml")
	must(tb, os.WriteFile(conf, []byte("route:\n  receiver: none\nreceivers:\n  - name: none\n"), 0o600))
	port := freePort(tb, "127.0.0.1")
	a := &Alertmanager{URL: fmt.Sprintf("http://127.0.0.1:%d", port)}
	cmd := exec.Command(bin, "--config.file="+conf, "--storage.path="+filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--cluster.listen-address=")
	must(tb, cmd.Start())
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	client := &http.Client{Timeout: time.Second}
	Eventually(tb, 30*time.Second, "alertmanager ready at "+a.URL, func() bool {
		resp, err := client.Get(a.URL + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return a
}
