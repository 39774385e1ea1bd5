package probe

import (
	"fmt"
	"sort"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// maxField bounds names that come from the host (mount points, devices).
const maxField = 256

// Assemble turns probe sections into a sample. prev is the previous CPU
// reading of this host (nil on the first poll, when the script's stat0
// baseline is used); the reading to keep for next time is returned. mounts
// are the configured mount points (empty: every real filesystem); services
// the configured services, in the order the script asked for them.
func Assemble(secs map[string]*Section, prev *Stat, mounts []string, services []fleet.Service, at time.Time) (*fleet.Sample, *Stat) {
	s := &fleet.Sample{At: at}
	next := prev
	stat, err := stat(secs, "stat")
	if err != nil {
		s.MarkUnknown(fleet.MetricCPU, err.Error())
	} else {
		next = stat
		base := prev
		if b, err := statIfPresent(secs, "stat0"); b != nil && err == nil {
			base = b
		}
		if !cpu(s, base, stat) {
			next = prev // polled again within a clock tick: measure from the older reading next time
		}
		if stat.BTime > 0 {
			s.BootTime = time.Unix(stat.BTime, 0)
		}
	}
	if m, err := parse(secs, "meminfo", ParseMeminfo); err != nil {
		s.MarkUnknown(fleet.MetricMemory, err.Error())
	} else {
		s.MemTotal, s.MemAvailable, s.MemUsed = m.Total, m.Available, m.Total-m.Available
		s.SwapTotal, s.SwapUsed = m.SwapTotal, m.SwapTotal-m.SwapFree
	}
	load, lerr := parse(secs, "loadavg", ParseLoadavg)
	n, nerr := parse(secs, "ncpu", ParseNCPU)
	if _, asked := secs["ncpu"]; !asked && err == nil && len(stat.Cores) > 0 {
		// The probe no longer runs getconf (a fork every poll): /proc/stat
		// lists the online CPUs, one cpuN line each.
		n, nerr = len(stat.Cores), nil
	}
	switch {
	case lerr != nil:
		s.MarkUnknown(fleet.MetricLoad, lerr.Error())
	case nerr != nil:
		s.MarkUnknown(fleet.MetricLoad, "core count: "+nerr.Error())
	default:
		s.Load1, s.Load5, s.Load15, s.Cores = load[0], load[1], load[2], n
	}
	if up, err := parse(secs, "uptime", ParseUptime); err != nil {
		s.MarkUnknown(fleet.MetricUptime, err.Error())
	} else {
		s.Uptime = time.Duration(up * float64(time.Second))
	}
	disks(s, secs, mounts)
	for i := range services {
		s.Services = append(s.Services, ParseService(&services[i], secs[fmt.Sprintf("svc%d", i)], s.Uptime, at))
	}
	return s, next
}

func parse[T any](secs map[string]*Section, name string, fn func([]string) (T, error)) (T, error) {
	var zero T
	lines, err := usable(secs, name)
	if err != nil {
		return zero, err
	}
	v, err := fn(lines)
	if err != nil {
		return zero, fmt.Errorf("%s: %v", name, err)
	}
	return v, nil
}

// mountTable is the watched filesystems of the mounts section, parsed
// once: a table carried between polls is parsed when it was read, not at
// every poll.
func mountTable(secs map[string]*Section) (map[string]Mount, error) {
	if mt, ok := memo[map[string]Mount](secs["mounts"]); ok {
		return mt, nil
	}
	mt, err := parse(secs, "mounts", ParseMounts)
	if err != nil {
		return nil, err
	}
	for point, m := range mt { // what disks would skip is not kept
		if !fleet.Watched(m.FSType, point, m.ReadOnly) {
			delete(mt, point)
		}
	}
	secs["mounts"].parsed = mt
	return mt, nil
}

// memo is a section's kept parse, if it has one of type T.
func memo[T any](sec *Section) (T, bool) {
	if sec == nil {
		var zero T
		return zero, false
	}
	v, ok := sec.parsed.(T)
	return v, ok
}

func stat(secs map[string]*Section, name string) (*Stat, error) { return parse(secs, name, ParseStat) }

func statIfPresent(secs map[string]*Section, name string) (*Stat, error) {
	if _, ok := secs[name]; !ok {
		return nil, nil
	}
	return stat(secs, name)
}

// cpuTooSoon is the reason of a CPU reading taken before the host's
// counters moved (two polls within one clock tick): not a finding, the
// previous reading is carried (hostChecks.guardCPU).
const cpuTooSoon = "polled again before the CPU counters moved"

// cpu sets the CPU use between base and cur. It reports false when the
// counters have not moved since base: cur is no better a baseline.
func cpu(s *fleet.Sample, base, cur *Stat) bool {
	if base == nil {
		s.MarkUnknown(fleet.MetricCPU, "first reading: CPU use needs two")
		return true
	}
	if cur.All.Total == base.All.Total && cur.All.Busy == base.All.Busy {
		s.MarkUnknown(fleet.MetricCPU, cpuTooSoon)
		return false
	}
	p, ok := Percent(base.All, cur.All)
	if !ok {
		s.MarkUnknown(fleet.MetricCPU, "CPU counters went backwards (rebooted?)")
		return true
	}
	s.CPU = p
	if len(base.Cores) == len(cur.Cores) {
		s.PerCore = make([]float64, len(cur.Cores))
		for i := range cur.Cores {
			s.PerCore[i], _ = Percent(base.Cores[i], cur.Cores[i])
		}
	}
	return true
}

// inodeRows are the inode counts by mount, from the dfi section; none when
// df -i failed or is not supported (busybox without it): inodes are then
// not checked, and the space check is unaffected.
func inodeRows(secs map[string]*Section) map[string]DFRow {
	d, ok := secs["dfi"]
	if !ok || len(d.Lines) == 0 {
		return nil
	}
	if out, ok := memo[map[string]DFRow](d); ok {
		return out // carried: parsed when it was read
	}
	rows, err := ParseDFInodes(d.Lines)
	if err != nil {
		return nil
	}
	out := make(map[string]DFRow, len(rows))
	for _, r := range rows {
		out[r.Mount] = r
	}
	d.parsed = out
	return out
}

func disks(s *fleet.Sample, secs map[string]*Section, mounts []string) {
	// df exits non-zero when one of several filesystems fails; keep the rows
	// it did print and explain the missing ones.
	d, ok := secs["df"]
	if !ok || !d.Complete {
		_, err := usable(secs, "df")
		s.MarkUnknown(fleet.MetricDisk, err.Error())
		return
	}
	rows, err := ParseDF(d.Lines)
	if err != nil {
		s.MarkUnknown(fleet.MetricDisk, "df: "+err.Error())
		return
	}
	byMount := map[string]DFRow{}
	for _, r := range rows {
		byMount[r.Mount] = r
	}
	inodes := inodeRows(secs)
	disk := func(r DFRow, fstype string) fleet.Disk {
		d := fleet.Disk{Mount: fleet.Sanitize(r.Mount, maxField), Device: fleet.Sanitize(r.Device, maxField),
			FSType: fleet.Sanitize(fstype, 32), Total: r.Total, Used: r.Used, Free: r.Avail}
		if in, ok := inodes[r.Mount]; ok && in.Used <= in.Total {
			d.Inodes, d.IUsed = in.Total, in.Used
		}
		return d
	}
	if len(mounts) > 0 {
		for _, m := range mounts {
			r, ok := byMount[m]
			if !ok {
				why := "not in df output (not mounted, or not a mount point)"
				if d.Exit != 0 {
					why = fmt.Sprintf("df failed for it (exit %d)", d.Exit)
				}
				s.Disks = append(s.Disks, fleet.Disk{Mount: m, Err: why})
				continue
			}
			s.Disks = append(s.Disks, disk(r, ""))
		}
		return
	}
	mt, err := mountTable(secs)
	if err != nil {
		s.MarkUnknown(fleet.MetricDisk, err.Error())
		return
	}
	seen := map[string]bool{}
	sort.SliceStable(rows, func(i, j int) bool { return len(rows[i].Mount) < len(rows[j].Mount) })
	for _, r := range rows {
		m, known := mt[r.Mount]
		key := fleet.DeviceKey(r.Device, m.FSType, r.Mount)
		if !known || !fleet.Watched(m.FSType, r.Mount, m.ReadOnly) || r.Total == 0 || seen[key] {
			continue
		}
		seen[key] = true
		s.Disks = append(s.Disks, disk(r, m.FSType))
	}
	sort.Slice(s.Disks, func(i, j int) bool { return s.Disks[i].Mount < s.Disks[j].Mount })
	if len(s.Disks) == 0 {
		s.MarkUnknown(fleet.MetricDisk, "no real filesystem in df output")
	}
}
