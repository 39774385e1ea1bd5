package actions_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/config"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
	"github.com/opsdeck/opsdeck/fleet/sshx"
)

// The log of a real supervisord program, followed over a real sshd: a
// line the program writes after the tail started arrives, and closing the
// tail ends supervisorctl on the host (no process is left behind).
func TestIntegration_TailSupervisorProgram(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	flag := filepath.Join(t.TempDir(), "flag")
	sup := fleettest.StartSupervisor(t, map[string]string{
		// Quiet once it has said "after": a tail left behind would not be
		// ended by a write to a closed session either.
		"worker": fmt.Sprintf(`sh -c 'while :; do if [ -f %s ]; then echo "after $(cat %s)"; exec sleep 100000; fi; echo tick; sleep 0.2; done'`, flag, flag),
	})
	cfg, err := config.Parse("t.toml", []byte(fmt.Sprintf("%s[[hosts]]\nname = \"web-1\"\naddress = \"127.0.0.1\"\nport = %d\n"+
		"[[hosts.services]]\nname = \"worker\"\nkind = \"supervisor\"\nprogram = \"worker\"\nconf = %q\n", f.Defaults(), h.Port, sup.Conf)))
	if err != nil {
		t.Fatal(err)
	}
	targets, err := sshx.Resolve(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pool := sshx.NewPool(sshx.Options{KnownHosts: sshx.KnownHostsFiles(cfg), NoAgent: true})
	defer pool.Close()
	tail, err := actions.StartTail(context.Background(), &actions.FleetExecutor{Pool: pool, Targets: targets}, &cfg.Hosts[0], "worker")
	if err != nil {
		t.Fatal(err)
	}
	defer tail.Close()
	if !strings.Contains(tail.Command, "tail -f 'worker'") {
		t.Errorf("command %q", tail.Command)
	}
	waitLine(t, tail, "tick") // the tail runs
	marker := fmt.Sprint(time.Now().UnixNano())
	if err := os.WriteFile(flag, []byte(marker), 0o644); err != nil {
		t.Fatal(err)
	}
	waitLine(t, tail, "after "+marker)
	if n := tailers(sup.Conf); n == 0 {
		t.Fatal("no supervisorctl tail found on the host while the tail runs: the check below would prove nothing")
	}
	tail.Close()
	select {
	case <-tail.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the tail did not end after Close")
	}
	fleettest.Eventually(t, 10*time.Second, "supervisorctl tail to end on the host after the tail was closed",
		func() bool { return tailers(sup.Conf) == 0 })
	if ended, why := tail.Ended(); !ended || why != "ended" {
		t.Errorf("closed by the operator: ended=%v %q", ended, why)
	}
}

// waitLine waits until a line of the tail contains want.
func waitLine(t *testing.T, tail *actions.Tail, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for from := 0; ; {
		lines, _, next := tail.Lines(from)
		from = next
		for _, l := range lines {
			if strings.Contains(l, want) {
				return
			}
		}
		if ended, why := tail.Ended(); ended {
			t.Fatalf("the tail ended (%s) before %q", why, want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no line with %q", want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tailers counts the processes following the program's log: their command
// line names this supervisord's conf and "tail".
func tailers(conf string) int {
	n := 0
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		joined := strings.Join(args, " ")
		if strings.Contains(joined, conf) && strings.Contains(joined, " tail ") && !strings.Contains(joined, "cat ") {
			n++
		}
	}
	return n
}

func TestLogCommand(t *testing.T) {
	yes := true
	for _, u := range []struct {
		s    fleet.Service
		want string
	}{
		{fleet.Service{Name: "a", Kind: "systemd", Unit: "a b.service"}, "journalctl --no-pager -n 200 -f -u 'a b.service'"},
		{fleet.Service{Name: "a", Kind: "supervisor", Program: "w", Conf: "/etc/s.conf"}, "supervisorctl -c '/etc/s.conf' tail -f 'w'"},
		{fleet.Service{Name: "a", Kind: "docker", Container: "web;rm", Sudo: &yes}, "sudo -n docker logs --tail 200 -f 'web;rm'"},
		{fleet.Service{Name: "a", Kind: "pm2", Program: "api"}, "pm2 logs --lines 200 --raw 'api'"},
		{fleet.Service{Name: "a", Kind: "process", Log: "tail -F /var/log/w.log"}, "tail -F /var/log/w.log"},
	} {
		if got, err := actions.LogCommand(&u.s); err != nil || got != u.want {
			t.Errorf("%s: %q, %v; want %q", u.s.Kind, got, err, u.want)
		}
	}
	if _, err := actions.LogCommand(&fleet.Service{Name: "p", Kind: "process"}); err == nil || !strings.Contains(err.Error(), `set log = "…"`) {
		t.Errorf("process without log: %v", err)
	}
}
