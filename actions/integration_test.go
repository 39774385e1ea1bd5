package actions_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/actions/record/files"

	"github.com/opsdeck/opsdeck/fleet/config"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
	"github.com/opsdeck/opsdeck/fleet/sshx"
)

// A restart through the actions API on a real sshd host running a real
// supervisord: the program gets a new pid and the audit line is complete.
func TestIntegration_RestartSupervisorProgram(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	sup := fleettest.StartSupervisor(t, map[string]string{"worker": "sleep 100000"})
	cfg, err := config.Parse("t.toml", []byte(fmt.Sprintf(`%s[[hosts]]
name = "web-1"
address = "127.0.0.1"
port = %d
env = "prod"
[[hosts.services]]
name = "worker"
kind = "supervisor"
program = "worker"
conf = %q
[[hosts.services]]
name = "ghost"
kind = "supervisor"
program = "no-such-program"
conf = %q
`, f.Defaults(), h.Port, sup.Conf, sup.Conf)))
	if err != nil {
		t.Fatal(err)
	}
	targets, err := sshx.Resolve(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pool := sshx.NewPool(sshx.Options{KnownHosts: sshx.KnownHostsFiles(cfg), NoAgent: true})
	defer pool.Close()
	m := &actions.Manager{Exec: &actions.FleetExecutor{Pool: pool, Targets: targets},
		Audit: &files.Audit{Path: filepath.Join(t.TempDir(), "audit.jsonl")}, Operator: "tom@ops"}
	host := &cfg.Hosts[0]

	before := sup.PID("worker")
	p, err := actions.PlanRestart(host, "worker")
	if err != nil {
		t.Fatal(err)
	}
	if actions.Confirmation([]*actions.Plan{p}) != "web-1" {
		t.Error("a prod host must ask for its name")
	}
	var lines []string
	r := m.Run(context.Background(), p, func(l string) { lines = append(lines, l) })
	if r.Outcome != actions.Succeeded {
		t.Fatalf("restart: %+v", r)
	}
	after := sup.PID("worker")
	if after == 0 || after == before {
		t.Errorf("pid before %d after %d: not restarted", before, after)
	}
	if !strings.Contains(strings.Join(lines, "\n"), "worker: started") {
		t.Errorf("streamed output %q", lines)
	}

	p2, _ := actions.PlanRestart(host, "ghost")
	r = m.Run(context.Background(), p2, nil)
	if r.Outcome != actions.Failed || !strings.Contains(r.Err.Error(), "no such process") {
		t.Errorf("unknown program: %+v", r)
	}

	es, err := m.Audit.Recent(10)
	if err != nil || len(es) != 2 {
		t.Fatalf("audit %v %v", es, err)
	}
	e := es[0]
	if e.Operator != "tom@ops" || e.Host != "web-1" || e.Kind != "restart" || e.Target != "worker" ||
		e.Command != fmt.Sprintf("supervisorctl -c '%s' restart 'worker'", sup.Conf) || e.Outcome != "succeeded" ||
		e.Exit == nil || *e.Exit != 0 || e.DurationMS <= 0 || len(e.Output) == 0 || e.Time.IsZero() {
		t.Errorf("incomplete audit entry %+v", e)
	}
	if es[1].Outcome != "failed" || es[1].Exit == nil || *es[1].Exit == 0 || !strings.Contains(es[1].Reason, "no such process") {
		t.Errorf("failure entry %+v", es[1])
	}
}

// sudo = true on a host where the user needs a password: the restart fails
// fast (sudo -n never prompts), says why, and is audited.
func TestIntegration_SudoNeedsPassword(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	user := fleettest.User(t)
	cfg, err := config.Parse("t.toml", []byte(fmt.Sprintf(`%s[[hosts]]
name = "web-1"
address = "127.0.0.1"
port = %d
user = %q
sudo = true
[[hosts.services]]
name = "nginx"
kind = "systemd"
unit = "nginx.service"
`, f.Defaults(), h.Port, user)))
	if err != nil {
		t.Fatal(err)
	}
	targets, _ := sshx.Resolve(cfg)
	pool := sshx.NewPool(sshx.Options{KnownHosts: sshx.KnownHostsFiles(cfg), NoAgent: true})
	defer pool.Close()
	m := &actions.Manager{Exec: &actions.FleetExecutor{Pool: pool, Targets: targets},
		Audit: &files.Audit{Path: filepath.Join(t.TempDir(), "audit.jsonl")}, Operator: "tom@ops"}
	p, err := actions.PlanRestart(&cfg.Hosts[0], "nginx")
	if err != nil || !strings.HasPrefix(p.Command, "sudo -n systemctl restart") {
		t.Fatalf("%+v %v", p, err)
	}
	r := m.Run(context.Background(), p, nil)
	if r.Outcome != actions.Failed || !strings.Contains(r.Err.Error(), "sudo needs a password on this host") {
		t.Fatalf("%+v\n%s", r, h.Log())
	}
	es, _ := m.Audit.Recent(5)
	if len(es) != 1 || es[0].Outcome != "failed" || !strings.Contains(es[0].Reason, "sudo needs a password") || es[0].Exit == nil || *es[0].Exit != 1 {
		t.Errorf("audit %+v", es)
	}
}
