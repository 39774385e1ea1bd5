package fleet

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v3/cpu"
	"github.com/shirou/gopsutil/v3/disk"
	"github.com/shirou/gopsutil/v3/host"
	"github.com/shirou/gopsutil/v3/load"
	"github.com/shirou/gopsutil/v3/mem"
)

// LocalSource samples this machine with gopsutil. CPU percentages come from
// the difference between this call's CPU times and the previous call's; the
// first call takes a short baseline.
type LocalSource struct {
	mounts []string // empty: every real filesystem

	mu   sync.Mutex
	prev []cpu.TimesStat
}

// NewLocalSource samples this machine, watching mounts (all real
// filesystems when empty).
func NewLocalSource(mounts []string) *LocalSource {
	return &LocalSource{mounts: mounts}
}

// baseline is how long the first sample waits between two CPU readings.
const baseline = 200 * time.Millisecond

// Sample reads every metric; a metric that fails is marked unknown.
func (l *LocalSource) Sample(ctx context.Context) (*Sample, error) {
	s := &Sample{}
	l.sampleCPU(ctx, s)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if vm, err := mem.VirtualMemoryWithContext(ctx); err != nil {
		s.MarkUnknown(MetricMemory, err.Error())
	} else {
		s.MemTotal, s.MemAvailable = vm.Total, vm.Available
		s.MemUsed = vm.Total - vm.Available
		if sw, err := mem.SwapMemoryWithContext(ctx); err == nil {
			s.SwapTotal, s.SwapUsed = sw.Total, sw.Used
		}
	}
	if avg, err := load.AvgWithContext(ctx); err != nil {
		s.MarkUnknown(MetricLoad, err.Error())
	} else {
		s.Load1, s.Load5, s.Load15 = avg.Load1, avg.Load5, avg.Load15
	}
	if n, err := cpu.CountsWithContext(ctx, true); err != nil || n <= 0 {
		s.MarkUnknown(MetricLoad, fmt.Sprintf("core count: %v", err))
	} else {
		s.Cores = n
	}
	if up, err := host.UptimeWithContext(ctx); err != nil {
		s.MarkUnknown(MetricUptime, err.Error())
	} else {
		s.Uptime = time.Duration(up) * time.Second
		if bt, err := host.BootTimeWithContext(ctx); err == nil {
			s.BootTime = time.Unix(int64(bt), 0)
		}
	}
	s.Disks = l.disks(ctx, s)
	s.At = time.Now()
	return s, nil
}

func (l *LocalSource) sampleCPU(ctx context.Context, s *Sample) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.prev == nil {
		first, err := cpu.TimesWithContext(ctx, true)
		if err != nil {
			s.MarkUnknown(MetricCPU, err.Error())
			return
		}
		l.prev = first
		select {
		case <-ctx.Done():
			return
		case <-time.After(baseline):
		}
	}
	cur, err := cpu.TimesWithContext(ctx, true)
	if err != nil {
		s.MarkUnknown(MetricCPU, err.Error())
		return
	}
	if len(cur) != len(l.prev) {
		// Cores came or went: start over rather than compare unlike things.
		l.prev = cur
		s.MarkUnknown(MetricCPU, "core count changed; measuring again")
		return
	}
	var busyAll, totalAll float64
	s.PerCore = make([]float64, len(cur))
	for i := range cur {
		busy, total := cpuDelta(l.prev[i], cur[i])
		busyAll += busy
		totalAll += total
		if total > 0 {
			s.PerCore[i] = busy / total * 100
		}
	}
	l.prev = cur
	if totalAll <= 0 {
		s.MarkUnknown(MetricCPU, "no CPU time elapsed between readings")
		return
	}
	s.CPU = busyAll / totalAll * 100
}

// cpuDelta returns busy and total CPU seconds between two readings. Guest
// time is already counted in user time on Linux, so it is not added again.
func cpuDelta(a, b cpu.TimesStat) (busy, total float64) {
	tot := func(t cpu.TimesStat) float64 {
		return t.User + t.Nice + t.System + t.Idle + t.Iowait + t.Irq + t.Softirq + t.Steal
	}
	idle := func(t cpu.TimesStat) float64 { return t.Idle + t.Iowait }
	total = tot(b) - tot(a)
	busy = total - (idle(b) - idle(a))
	if busy < 0 && busy > -1e-6 {
		busy = 0 // a fully idle core: the seconds' rounding, not a reset
	}
	if total < 0 || busy < 0 {
		return 0, 0 // counters went backwards (reset): skip this core
	}
	return busy, total
}

// pseudoFS are filesystem types that hold no user data worth watching.
var pseudoFS = map[string]bool{
	"proc": true, "sysfs": true, "devtmpfs": true, "devpts": true,
	"cgroup": true, "cgroup2": true, "securityfs": true, "pstore": true, "debugfs": true,
	"tracefs": true, "mqueue": true, "hugetlbfs": true, "configfs": true, "fusectl": true,
	"binfmt_misc": true, "autofs": true, "bpf": true, "nsfs": true, "rpc_pipefs": true,
	"efivarfs": true, "squashfs": true, "selinuxfs": true, "fuse.lxcfs": true,
	"fuse.gvfsd-fuse": true, "fuse.portal": true, "overlay.ro": true, "iso9660": true, "nfsd": true,
}

// RealFilesystem reports whether a mount of this type at this point is worth
// watching by default. Memory filesystems count (a full tmpfs data mount
// breaks what writes to it, /run included), except the kernel's and the
// per-user ones: /proc, /sys, /dev (/dev/shm), /run/user/*, /run/media/*,
// /run/credentials/*.
func RealFilesystem(fstype, mountpoint string) bool {
	if pseudoFS[fstype] {
		return false
	}
	for _, p := range []string{"/proc", "/sys", "/dev"} {
		if mountpoint == p || strings.HasPrefix(mountpoint, p+"/") {
			return false
		}
	}
	for _, p := range []string{"/run/user/", "/run/media/", "/run/credentials/"} {
		if strings.HasPrefix(mountpoint, p) {
			return false
		}
	}
	return true
}

// Watched reports whether a mount is shown and checked by default: a real
// filesystem, and not a read-only memory one (it cannot fill up).
func Watched(fstype, mountpoint string, readOnly bool) bool {
	return RealFilesystem(fstype, mountpoint) && !(MemoryFS(fstype) && readOnly)
}

// MemoryFS reports a filesystem that lives in memory: every mount of one is
// its own filesystem, whatever its device name says ("tmpfs", "none").
func MemoryFS(fstype string) bool { return fstype == "tmpfs" || fstype == "ramfs" }

// DeviceKey is what makes two mounts the same filesystem (a bind mount is
// shown once): the device, or for memory filesystems the mount itself.
func DeviceKey(device, fstype, mount string) string {
	if MemoryFS(fstype) {
		return fstype + ":" + mount
	}
	return device
}

func (l *LocalSource) disks(ctx context.Context, s *Sample) []Disk {
	var out []Disk
	if len(l.mounts) > 0 {
		for _, m := range l.mounts {
			d := Disk{Mount: m}
			if u, err := disk.UsageWithContext(ctx, m); err != nil {
				d.Err = err.Error()
			} else {
				d.FSType, d.Total, d.Used, d.Free = u.Fstype, u.Total, u.Used, u.Free
				d.Inodes, d.IUsed = u.InodesTotal, u.InodesUsed
			}
			out = append(out, d)
		}
		return out
	}
	parts, err := disk.PartitionsWithContext(ctx, true)
	if err != nil {
		s.MarkUnknown(MetricDisk, err.Error())
		return nil
	}
	sort.Slice(parts, func(i, j int) bool { return len(parts[i].Mountpoint) < len(parts[j].Mountpoint) })
	seen := map[string]bool{}
	for _, p := range parts {
		if !Watched(p.Fstype, p.Mountpoint, slices.Contains(p.Opts, "ro")) || seen[DeviceKey(p.Device, p.Fstype, p.Mountpoint)] {
			continue
		}
		if fi, err := os.Stat(p.Mountpoint); err != nil || !fi.IsDir() {
			continue // bind-mounted files (/etc/hosts in containers)
		}
		u, err := disk.UsageWithContext(ctx, p.Mountpoint)
		if err != nil || u.Total == 0 {
			continue
		}
		seen[DeviceKey(p.Device, p.Fstype, p.Mountpoint)] = true
		out = append(out, Disk{Mount: p.Mountpoint, Device: p.Device, FSType: p.Fstype, Total: u.Total, Used: u.Used, Free: u.Free,
			Inodes: u.InodesTotal, IUsed: u.InodesUsed})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Mount < out[j].Mount })
	if len(out) == 0 {
		s.MarkUnknown(MetricDisk, "no real filesystem found")
	}
	return out
}
