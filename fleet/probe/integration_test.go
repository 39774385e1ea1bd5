package probe_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/config"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
	"github.com/opsdeck/opsdeck/fleet/probe"
	"github.com/opsdeck/opsdeck/fleet/sshx"
	"go.uber.org/goleak"
)

// rig is a running opsdeck fleet (config, store, poller, SSH pool) against
// real sshd test hosts.
type rig struct {
	t      *testing.T
	cfg    *fleet.Config
	store  *fleet.Store
	poller *fleet.Poller
	pool   *sshx.Pool
	cancel context.CancelFunc
}

// startRig parses hostsTOML (the [[hosts]] part) with defaults pointing at
// the fleet's key and known_hosts, and starts polling.
func startRig(t *testing.T, f *fleettest.Fleet, policy, hostsTOML string) *rig {
	t.Helper()
	doc := fmt.Sprintf(`[defaults]
identity_files = [%q]
known_hosts = %q
known_hosts_policy = %q
poll_interval = "1s"
timeout = "10s"
ssh_config = "/dev/null"
security = false
%s%s`, f.ClientKey.Path, f.KnownHosts, policy, fleettest.Hermetic, hostsTOML)
	cfg, err := config.Parse("test.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	targets, err := sshx.Resolve(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pool := sshx.NewPool(sshx.Options{KnownHosts: sshx.KnownHostsFiles(cfg), Policy: cfg.Defaults.KnownHostsPolicy,
		NoAgent: true, KeepAlive: time.Second, KeepAliveTimeout: time.Second})
	store := fleet.NewStore(cfg.Hosts)
	poller := fleet.NewPoller(cfg, store, func(h *fleet.Host) (fleet.Source, string) {
		return probe.NewSSHSource(pool.Client(*targets[h.Name]), h, probe.Options{NoSpread: true}), ""
	})
	ctx, cancel := context.WithCancel(context.Background())
	poller.Start(ctx)
	r := &rig{t: t, cfg: cfg, store: store, poller: poller, pool: pool, cancel: cancel}
	t.Cleanup(r.stop)
	return r
}

func (r *rig) stop() {
	r.cancel()
	r.poller.Wait()
	r.pool.Close()
}

func hostsFor(f *fleettest.Fleet) string {
	var b strings.Builder
	for _, h := range f.Hosts {
		fmt.Fprintf(&b, "[[hosts]]\nname = %q\naddress = %q\nport = %d\nuser = %q\n", h.Name, h.Listen, h.Port, h.User)
	}
	return b.String()
}

func (r *rig) status(name string) fleet.HostStatus {
	snap, _ := r.store.Snapshot()
	for _, s := range snap {
		if s.Host.Name == name {
			return s
		}
	}
	r.t.Fatalf("no host %s", name)
	return fleet.HostStatus{}
}

func (r *rig) health(name string) fleet.Health {
	st := r.status(name)
	return fleet.Assess(&st, time.Now())
}

func procLines(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func TestIntegration_ThreeHostsMatchProc(t *testing.T) {
	f := fleettest.StartFleet(t, 3)
	harness := goleak.IgnoreCurrent() // the sshd processes' own goroutines
	r := startRig(t, f, "strict", hostsFor(f))
	for _, h := range f.Hosts {
		fleettest.Eventually(t, 10*time.Second, h.Name+" sampled with CPU", func() bool {
			s := r.status(h.Name).Last
			return s != nil && s.Known(fleet.MetricCPU)
		})
	}
	mem, _ := probe.ParseMeminfo(procLines(t, "/proc/meminfo"))
	ncpu := 0
	for _, l := range procLines(t, "/proc/stat") {
		if strings.HasPrefix(l, "cpu") && !strings.HasPrefix(l, "cpu ") {
			ncpu++
		}
	}
	up, _ := probe.ParseUptime(procLines(t, "/proc/uptime"))
	load, _ := probe.ParseLoadavg(procLines(t, "/proc/loadavg"))
	var root syscall.Statfs_t
	if err := syscall.Statfs("/", &root); err != nil {
		t.Fatal(err)
	}
	for _, h := range f.Hosts {
		st := r.status(h.Name)
		s := st.Last
		if len(s.Unknown) > 0 {
			t.Errorf("%s: unknown metrics %v", h.Name, s.Unknown)
		}
		if s.MemTotal != mem.Total {
			t.Errorf("%s: MemTotal %d, /proc says %d", h.Name, s.MemTotal, mem.Total)
		}
		if math.Abs(float64(s.MemAvailable)-float64(mem.Available)) > 0.05*float64(mem.Total) {
			t.Errorf("%s: MemAvailable %d, /proc says about %d", h.Name, s.MemAvailable, mem.Available)
		}
		if s.Cores != ncpu || len(s.PerCore) != ncpu {
			t.Errorf("%s: %d cores (%d per-core values), /proc/stat has %d", h.Name, s.Cores, len(s.PerCore), ncpu)
		}
		if d := math.Abs(s.Uptime.Seconds() - up); d > 5 {
			t.Errorf("%s: uptime %v, /proc/uptime %.0fs", h.Name, s.Uptime, up)
		}
		if math.Abs(s.Load1-load[0]) > 1 {
			t.Errorf("%s: load %.2f, /proc/loadavg %.2f", h.Name, s.Load1, load[0])
		}
		if s.CPU < 0 || s.CPU > 100 {
			t.Errorf("%s: cpu %v", h.Name, s.CPU)
		}
		var rootDisk *fleet.Disk
		for i := range s.Disks {
			if s.Disks[i].Mount == "/" {
				rootDisk = &s.Disks[i]
			}
		}
		if rootDisk == nil {
			t.Errorf("%s: no / in %+v", h.Name, s.Disks)
		} else if want := root.Blocks * uint64(root.Bsize); rootDisk.Total != want {
			t.Errorf("%s: / total %d, statfs says %d", h.Name, rootDisk.Total, want)
		}
		if st.RTT <= 0 || st.Err != "" {
			t.Errorf("%s: rtt %v err %q", h.Name, st.RTT, st.Err)
		}
		if hl := r.health(h.Name); hl.State == fleet.Down || hl.State == fleet.Unknown || hl.State == fleet.Stale {
			t.Errorf("%s: %s %s", h.Name, hl.State, hl.Reason)
		}
	}
	r.stop() // every poller goroutine and connection must end
	goleak.VerifyNone(t, harness)
}

func TestIntegration_ChangedHostKeyIsRefused(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	r := startRig(t, f, "accept-new", hostsFor(f)) // accept-new must still refuse a CHANGED key
	fleettest.Eventually(t, 10*time.Second, "first sample", func() bool { return r.status(h.Name).Last != nil })

	h.Stop()
	h.NewHostKey() // the host now presents another key on the same address
	h.Start()
	fleettest.Eventually(t, 15*time.Second, "HOSTKEY for the changed key", func() bool {
		return r.health(h.Name).State == fleet.HostKey
	})
	hl := r.health(h.Name)
	for _, want := range []string{"host key changed (possible man-in-the-middle): now SHA256:", "known_hosts holds SHA256:", f.KnownHosts + ":1"} {
		if !strings.Contains(hl.Reason, want) {
			t.Errorf("reason %q lacks %q", hl.Reason, want)
		}
	}
	if st := r.status(h.Name); !strings.Contains(st.Err, "host key for host-1 ["+h.Addr()+"] has changed") || st.KeyChange == nil || st.KeyChange.Line != 1 {
		t.Errorf("status %q %+v", st.Err, st.KeyChange)
	}
	before, polls := r.status(h.Name).Last.At, r.status(h.Name).Polls
	fleettest.Eventually(t, 20*time.Second, "two more polls of the host", func() bool { return r.status(h.Name).Polls >= polls+2 })
	if st := r.status(h.Name); st.Last.At != before || st.Err == "" {
		t.Errorf("data arrived from a host with a changed key: %+v", st)
	}
	if kh, _ := os.ReadFile(f.KnownHosts); strings.Count(string(kh), "\n") != 1 {
		t.Errorf("known_hosts was modified:\n%s", kh)
	}
}

func TestIntegration_UnknownHost(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	if err := os.WriteFile(f.KnownHosts, nil, 0o600); err != nil { // forget it
		t.Fatal(err)
	}
	t.Run("strict refuses", func(t *testing.T) {
		r := startRig(t, f, "strict", hostsFor(f))
		fleettest.Eventually(t, 10*time.Second, "DOWN", func() bool { return r.health(h.Name).State == fleet.Down })
		if reason := r.health(h.Name).Reason; !strings.Contains(reason, "host key unknown: host key for host-1") ||
			!strings.Contains(reason, "is not in known_hosts") {
			t.Errorf("reason = %q", reason)
		}
		if r.status(h.Name).Last != nil {
			t.Error("data from an unknown host")
		}
	})
	t.Run("accept-new learns", func(t *testing.T) {
		r := startRig(t, f, "accept-new", hostsFor(f))
		fleettest.Eventually(t, 10*time.Second, "a sample", func() bool { return r.status(h.Name).Last != nil })
		kh, _ := os.ReadFile(f.KnownHosts)
		if string(kh) != h.KnownHostsLine() {
			t.Errorf("known_hosts = %q, want %q", kh, h.KnownHostsLine())
		}
	})
}

func TestIntegration_FrozenHostDoesNotStallOthers(t *testing.T) {
	f := fleettest.StartFleet(t, 3)
	r := startRig(t, f, "strict", hostsFor(f))
	for _, h := range f.Hosts {
		fleettest.Eventually(t, 10*time.Second, h.Name+" first sample", func() bool { return r.status(h.Name).Last != nil })
	}
	frozen := f.Hosts[1]
	frozen.Freeze()
	start := time.Now()
	polls := map[string]int{}
	for _, h := range f.Hosts {
		polls[h.Name] = r.status(h.Name).Polls
	}
	// timeout (2s) + one interval (1s), with slack for jitter and scheduling.
	fleettest.Eventually(t, 6*time.Second, "frozen host DOWN or STALE", func() bool {
		s := r.health(frozen.Name).State
		return s == fleet.Down || s == fleet.Stale
	})
	took := time.Since(start)
	t.Logf("frozen host flagged %s after %v: %s", r.health(frozen.Name).State, took.Round(time.Millisecond), r.health(frozen.Name).Reason)
	for _, h := range []*fleettest.SSHD{f.Hosts[0], f.Hosts[2]} {
		got := r.status(h.Name).Polls - polls[h.Name]
		// At a 1 s interval with ±10% jitter, a host polls at least once per 1.1 s.
		if want := int(took/(1100*time.Millisecond)) - 1; got < want || got < 1 {
			t.Errorf("%s polled %d times in %v while %s was frozen, want ≥ %d", h.Name, got, took, frozen.Name, max(want, 1))
		}
		if s := r.health(h.Name).State; s != fleet.OK && s != fleet.Warn && s != fleet.Crit {
			t.Errorf("%s is %s while another host is frozen", h.Name, s)
		}
	}
	frozen.Thaw()
	thawed := time.Now()
	fleettest.Eventually(t, 20*time.Second, "recovery after thaw", func() bool {
		st := r.status(frozen.Name)
		return st.Last != nil && st.Last.At.After(thawed)
	})
}

func TestIntegration_RestartedSSHDRecovers(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	r := startRig(t, f, "strict", hostsFor(f))
	fleettest.Eventually(t, 10*time.Second, "first sample", func() bool { return r.status(h.Name).Last != nil })
	h.Stop()
	fleettest.Eventually(t, 10*time.Second, "DOWN", func() bool { return r.health(h.Name).State == fleet.Down })
	if reason := r.health(h.Name).Reason; !strings.Contains(reason, "refused") && !strings.Contains(reason, "closed") && !strings.Contains(reason, "lost") {
		t.Errorf("reason = %q", reason)
	}
	h.Start()
	restarted := time.Now()
	fleettest.Eventually(t, 20*time.Second, "recovery on its own", func() bool {
		st := r.status(h.Name)
		return st.Last != nil && st.Last.At.After(restarted) && st.Err == ""
	})
	if s := r.health(h.Name).State; s == fleet.Down || s == fleet.Stale {
		t.Errorf("after recovery: %s", s)
	}
}

func TestIntegration_JumpHost(t *testing.T) {
	f := fleettest.StartFleet(t, 0)
	bastion := f.Add(t, "bastion", fleettest.SSHDOptions{})
	inner := f.Add(t, "inner", fleettest.SSHDOptions{Listen: "127.0.0.2"})
	hosts := fmt.Sprintf(`[[hosts]]
name = "bastion"
address = "127.0.0.1"
port = %d
[[hosts]]
name = "inner"
address = "127.0.0.2"
port = %d
jump = "bastion"
`, bastion.Port, inner.Port)
	r := startRig(t, f, "strict", hosts)
	fleettest.Eventually(t, 10*time.Second, "inner sampled through bastion", func() bool { return r.status("inner").Last != nil })
	target := "127.0.0.2 port " + strconv.Itoa(inner.Port)
	if !strings.Contains(bastion.Log(), target) {
		t.Errorf("bastion's log shows no forwarding to %s:\n%s", target, bastion.Log())
	}
	if via := r.status("inner").Host.Resolved.Via; via != "bastion" {
		t.Errorf("resolved via %q", via)
	}
	bastion.Stop()
	fleettest.Eventually(t, 15*time.Second, "inner UNREACHABLE behind its jump host", func() bool {
		hl := r.health("inner")
		return hl.State == fleet.Unreachable && strings.HasPrefix(hl.Reason, "behind bastion (DOWN since ")
	})
	if hl := r.health("bastion"); hl.State != fleet.Down {
		t.Errorf("bastion: %s %q", hl.State, hl.Reason)
	}
	t.Logf("inner: %s", r.health("inner").Reason)
	bastion.Start()
	back := time.Now()
	fleettest.Eventually(t, 15*time.Second, "inner's data again once the bastion answers", func() bool {
		st := r.status("inner")
		return st.Last != nil && st.Last.At.After(back) && r.health("inner").State != fleet.Unreachable
	})
}

func (r *rig) service(host, name string) *fleet.ServiceStatus {
	st := r.status(host)
	if st.Last == nil {
		return nil
	}
	for i := range st.Last.Services {
		if st.Last.Services[i].Name == name {
			return &st.Last.Services[i]
		}
	}
	return nil
}

func TestIntegration_SupervisorServices(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	sup := fleettest.StartSupervisor(t, map[string]string{"worker": "sleep 100000", "stopper": "sleep 100000"})
	hosts := hostsFor(f) + fmt.Sprintf(`[[hosts.services]]
name = "worker"
kind = "supervisor"
program = "worker"
conf = %[1]q
[[hosts.services]]
name = "stopper"
kind = "supervisor"
program = "stopper"
conf = %[1]q
[[hosts.services]]
name = "ghost"
kind = "supervisor"
program = "no-such-program"
conf = %[1]q
`, sup.Conf)
	r := startRig(t, f, "strict", hosts)
	fleettest.Eventually(t, 10*time.Second, "service status", func() bool { return r.service(h.Name, "worker") != nil })
	w := r.service(h.Name, "worker")
	if !w.Running || w.State != "RUNNING" || w.PID != sup.PID("worker") || w.Since.IsZero() {
		t.Errorf("worker = %+v, supervisorctl says pid %d", w, sup.PID("worker"))
	}
	if c := fleet.ServiceCheck(w); c.State != fleet.OK {
		t.Errorf("worker check %s %s", c.State, c.Reason)
	}
	g := r.service(h.Name, "ghost")
	if c := fleet.ServiceCheck(g); c.State != fleet.Crit || !strings.Contains(c.Reason, "service ghost NOT-FOUND") {
		t.Errorf("ghost: %s %q (%+v)", c.State, c.Reason, g)
	}

	// A crash: supervisor restarts the program; opsdeck sees a new pid and
	// counts the restart.
	old := w.PID
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	fleettest.Eventually(t, 15*time.Second, "the restarted worker", func() bool {
		w := r.service(h.Name, "worker")
		return w != nil && w.Running && w.PID != old && w.PID != 0
	})
	if w := r.service(h.Name, "worker"); w.Restarts != 1 || w.Recent != 1 {
		t.Errorf("restarts seen %d, recent %d; want 1 and 1", w.Restarts, w.Recent)
	}

	if out, err := sup.Ctl("stop", "stopper"); err != nil {
		t.Fatalf("supervisorctl stop: %v %s", err, out)
	}
	fleettest.Eventually(t, 10*time.Second, "stopped service CRIT", func() bool {
		s := r.service(h.Name, "stopper")
		return s != nil && fleet.ServiceCheck(s).State == fleet.Crit
	})
	if c := fleet.ServiceCheck(r.service(h.Name, "stopper")); c.Reason != "service stopper STOPPED" && !strings.HasPrefix(c.Reason, "service stopper STOPPED (") {
		t.Errorf("reason %q", c.Reason)
	}
	if hl := r.health(h.Name); hl.State != fleet.Crit {
		t.Errorf("host with a stopped service is %s (%s), want CRIT", hl.State, hl.Reason)
	}
}

// A real PostgreSQL on 127.0.0.1 only: the database-ports check is OK; the
// checklist's other parts are read too (sshd settings from sshd -T).
func TestIntegration_SecurityPostgresOnLoopback(t *testing.T) {
	pg := fleettest.StartPostgres(t)
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	doc := fmt.Sprintf(`[defaults]
identity_files = [%q]
known_hosts = %q
ssh_config = "/dev/null"
db_ports = [%d]
[[hosts]]
name = "db-1"
address = "127.0.0.1"
port = %d
`, f.ClientKey.Path, f.KnownHosts, pg.Port, h.Port)
	cfg, err := config.Parse("t.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	targets, _ := sshx.Resolve(cfg)
	pool := sshx.NewPool(sshx.Options{KnownHosts: sshx.KnownHostsFiles(cfg), NoAgent: true})
	defer pool.Close()
	src := probe.NewSSHSource(pool.Client(*targets["db-1"]), &cfg.Hosts[0], probe.Options{OneShot: true})
	defer src.Close()
	s, err := src.Sample(context.Background())
	if err == nil {
		src.Settle(context.Background(), s)
	}
	if err != nil || s.Security == nil {
		t.Fatalf("%v %+v", err, s)
	}
	found := false
	for _, l := range s.Security.Listeners {
		if l.Port == pg.Port {
			found = true
			if l.Addr != "127.0.0.1" {
				t.Errorf("postgres bound to %s", l.Addr)
			}
		}
	}
	if !found {
		t.Fatalf("postgres port %d not among listeners %+v", pg.Port, s.Security.Listeners)
	}
	checks := fleet.SecurityChecks(&cfg.Hosts[0], s.Security)
	sshd := false
	for _, c := range checks {
		if c.Name == "database ports" && c.State != fleet.OK {
			t.Errorf("%s %s", c.State, c.Reason)
		}
		if c.Name == "sshd" {
			// The sshd we reached it through runs there: its settings apply.
			sshd = true
			if c.NotApplicable || !strings.Contains(c.Reason, "(from sshd -T)") {
				t.Errorf("sshd: %+v", c)
			}
		}
	}
	if !sshd {
		t.Errorf("no sshd check over SSH: %+v", checks)
	}
}

// A listener on a non-loopback address, inside a network namespace the
// test creates: the database-ports check is CRIT and names the address.
func TestIntegration_SecurityPublicListenerInNetns(t *testing.T) {
	ns := fleettest.NewNetns(t)
	f := fleettest.StartFleet(t, 0)
	target := f.Add(t, "ns-host", fleettest.SSHDOptions{Listen: ns.NSIP, Netns: ns})
	// Something listening on every address of the namespace, on PostgreSQL's port.
	fleettest.StartSSHD(t, "public-5432", fleettest.SSHDOptions{Listen: "0.0.0.0", Port: 5432, Netns: ns})
	cfg, err := config.Parse("t.toml", []byte(fmt.Sprintf("%s[[hosts]]\nname = \"db-9\"\naddress = %q\nport = %d\nsecurity = true\n",
		f.Defaults(), target.Listen, target.Port)))
	if err != nil {
		t.Fatal(err)
	}
	targets, _ := sshx.Resolve(cfg)
	pool := sshx.NewPool(sshx.Options{KnownHosts: sshx.KnownHostsFiles(cfg), NoAgent: true})
	defer pool.Close()
	src := probe.NewSSHSource(pool.Client(*targets["db-9"]), &cfg.Hosts[0], probe.Options{OneShot: true})
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := src.Sample(ctx)
	if err == nil {
		src.Settle(ctx, s)
	}
	if err != nil || s.Security == nil {
		t.Fatalf("%v\n%s", err, target.Log())
	}
	var db *fleet.Check
	checks := fleet.SecurityChecks(&cfg.Hosts[0], s.Security)
	for i := range checks {
		if checks[i].Name == "database ports" {
			db = &checks[i]
		}
	}
	if db == nil || db.State != fleet.Crit || !strings.Contains(db.Reason, "postgres listening on 0.0.0.0:5432") {
		t.Errorf("database ports: %+v (listeners %+v)", db, s.Security.Listeners)
	}
}
