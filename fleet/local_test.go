package fleet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v3/cpu"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// procValue reads "Key: value kB" from /proc/meminfo in bytes.
func procMeminfo(t *testing.T, key string) uint64 {
	t.Helper()
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 && fs[0] == key+":" {
			v, _ := strconv.ParseUint(fs[1], 10, 64)
			return v * 1024
		}
	}
	t.Fatalf("%s not in /proc/meminfo", key)
	return 0
}

func TestLocalSource_MatchesProc(t *testing.T) {
	src := NewLocalSource(nil)
	s, err := src.Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Unknown) != 0 {
		t.Fatalf("unknown metrics on this machine: %v", s.Unknown)
	}
	if want := procMeminfo(t, "MemTotal"); s.MemTotal != want {
		t.Errorf("MemTotal = %d, /proc says %d", s.MemTotal, want)
	}
	if avail := procMeminfo(t, "MemAvailable"); math.Abs(float64(s.MemAvailable)-float64(avail)) > 0.05*float64(s.MemTotal) {
		t.Errorf("MemAvailable = %d, /proc says about %d", s.MemAvailable, avail)
	}
	stat, _ := os.ReadFile("/proc/stat")
	cores := 0
	for _, l := range strings.Split(string(stat), "\n") {
		if strings.HasPrefix(l, "cpu") && !strings.HasPrefix(l, "cpu ") {
			cores++
		}
	}
	if s.Cores != cores || len(s.PerCore) != cores {
		t.Errorf("cores = %d (per-core %d), /proc/stat has %d", s.Cores, len(s.PerCore), cores)
	}
	up, _ := os.ReadFile("/proc/uptime")
	secs, _ := strconv.ParseFloat(strings.Fields(string(up))[0], 64)
	if d := math.Abs(s.Uptime.Seconds() - secs); d > 2 {
		t.Errorf("uptime %v differs from /proc/uptime %.0fs", s.Uptime, secs)
	}
	if s.CPU < 0 || s.CPU > 100 {
		t.Errorf("cpu %% out of range: %v", s.CPU)
	}
	if len(s.Disks) == 0 {
		t.Fatal("no real filesystem found")
	}
	for _, d := range s.Disks {
		if !RealFilesystem(d.FSType, d.Mount) || d.Total == 0 {
			t.Errorf("pseudo or empty filesystem listed: %+v", d)
		}
	}
	// A later sample measures CPU over the time between the two; the tick
	// counters move every 10 ms (USER_HZ 100), so it is known within a few.
	var s2 *Sample
	fleettest.EventuallyShow(t, 5*time.Second, "CPU measured", func() bool {
		var err error
		if s2, err = src.Sample(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s2.Known(MetricCPU)
	}, func() string { return fmt.Sprint(s2.Unknown) })
}

func TestLocalSource_NamedMounts(t *testing.T) {
	s, err := NewLocalSource([]string{"/", "/definitely/not/mounted"}).Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Disks) != 2 || s.Disks[0].Mount != "/" || s.Disks[0].Err != "" || s.Disks[0].Total == 0 {
		t.Fatalf("disks = %+v", s.Disks)
	}
	if s.Disks[1].Err == "" {
		t.Error("missing mount has no error")
	}
	h := testHost("me")
	checks := Evaluate(s, h.Limits, nil, nil)
	found := false
	for _, c := range checks {
		if c.Name == "disk /definitely/not/mounted" && c.State == Unknown {
			found = true
		}
	}
	if !found {
		t.Errorf("missing mount is not an UNKNOWN check: %+v", checks)
	}
}

func TestLocalSource_Cancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewLocalSource(nil).Sample(ctx); err == nil {
		t.Error("cancelled sample returned no error")
	}
}

func TestRealFilesystem(t *testing.T) {
	for _, u := range []struct {
		fs, mount string
		want      bool
	}{
		{"ext4", "/", true}, {"xfs", "/var", true}, {"overlay", "/", true},
		{"tmpfs", "/dev/shm", false}, {"proc", "/proc", false}, {"cgroup2", "/sys/fs/cgroup", false},
		{"ext4", "/run/media/x", false}, {"squashfs", "/snap/core", false},
		{"tmpfs", "/run", true}, {"tmpfs", "/srv/cache", true}, {"ramfs", "/var/spool/q", true},
		{"tmpfs", "/run/user/1000", false}, {"ramfs", "/run/credentials/x.service", false}, {"tmpfs", "/sys/fs/cgroup", false},
	} {
		if got := RealFilesystem(u.fs, u.mount); got != u.want {
			t.Errorf("RealFilesystem(%s, %s) = %v", u.fs, u.mount, got)
		}
	}
	if Watched("tmpfs", "/srv/ro", true) || !Watched("tmpfs", "/srv/rw", false) || !Watched("ext4", "/srv/ro", true) {
		t.Error("a read-only memory filesystem cannot fill and is not watched; every other is")
	}
}

// The state directory is ours or nothing: never a symlink, never someone
// else's, never writable by others, never /tmp for want of HOME.
func TestPrivateDir(t *testing.T) {
	dir := t.TempDir()
	if err := PrivateDir(filepath.Join(dir, "state")); err != nil {
		t.Fatalf("a fresh directory: %v", err)
	}
	os.Symlink(filepath.Join(dir, "state"), filepath.Join(dir, "link"))
	if err := PrivateDir(filepath.Join(dir, "link")); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("symlinked state directory: %v", err)
	}
	open := filepath.Join(dir, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	if err := PrivateDir(open); err == nil || !strings.Contains(err.Error(), "writable by others") {
		t.Errorf("world-writable state directory: %v", err)
	}
	os.Symlink("/etc/passwd", filepath.Join(dir, "state", "audit.jsonl"))
	if f, err := OpenPrivate(filepath.Join(dir, "state", "audit.jsonl")); err == nil {
		f.Close()
		t.Error("appended through a symlink")
	}
	if err := PrivateDir(""); !errors.Is(err, ErrNoStateDir) {
		t.Errorf("no directory: %v", err)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "")
	if d := StateDir(); strings.HasPrefix(d, os.TempDir()) {
		t.Errorf("without HOME the state directory is %q", d)
	}
}

// A core idle between two readings has busy time 0, not a reset: the
// seconds gopsutil gives are jiffies / 100, and their sums round.
func TestCPUDelta_IdleCoreIsNotAReset(t *testing.T) {
	// Read on this machine, 200 ms apart: the sums round to busy -1e-12.
	a := cpu.TimesStat{User: 1428.1, System: 612.7, Idle: 7448.8, Iowait: 5.1, Softirq: 35.9, Steal: 0.6}
	b := a
	b.Idle = 7449.0 // 20 jiffies of idle, nothing else
	busy, total := cpuDelta(a, b)
	if total < 0.19 || total > 0.21 || busy < 0 || busy > 1e-9 {
		t.Errorf("cpuDelta = busy %g, total %g; want 0 and 0.2", busy, total)
	}
	b.User -= 10 // a counter reset
	if busy, total := cpuDelta(a, b); busy != 0 || total != 0 {
		t.Errorf("after a reset: busy %g, total %g; want the core skipped", busy, total)
	}
}
