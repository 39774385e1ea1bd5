package prom

import (
	"slices"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// scale is what a percentage read back is scaled to as a size: the
// sample says Relative, and the screen shows no sizes of it.
const scale = 1e12

const notExported = "not exported by its poller"

// sample is the host's figures as its poller exported them, at when it
// last answered (judged: its poller's last judgement, for ages).
func (r *reading) sample(judged time.Time) *fleet.Sample {
	smp := &fleet.Sample{At: r.at, Relative: true}
	if v, ok := r.figs["opsdeck_cpu_percent"]; ok {
		smp.CPU = v
	} else {
		smp.MarkUnknownAs(fleet.MetricCPU, fleet.CauseNotInSource, notExported)
	}
	if v, ok := r.figs["opsdeck_memory_percent"]; ok {
		smp.MemTotal, smp.MemUsed = scale, uint64(v*scale/100)
		smp.MemAvailable = smp.MemTotal - smp.MemUsed
	} else {
		smp.MarkUnknownAs(fleet.MetricMemory, fleet.CauseNotInSource, notExported)
	}
	if v, ok := r.figs["opsdeck_load1_per_core"]; ok {
		smp.Cores, smp.Load1 = 1, v
	} else {
		smp.MarkUnknownAs(fleet.MetricLoad, fleet.CauseNotInSource, notExported)
	}
	smp.MarkUnknownAs(fleet.MetricUptime, fleet.CauseNotInSource, notExported)
	for k, v := range r.figs {
		name, label, _ := strings.Cut(k, "\x00")
		switch name {
		case "opsdeck_disk_used_percent":
			used := uint64(v * scale / 100)
			smp.Disks = append(smp.Disks, fleet.Disk{Mount: fleet.Sanitize(label, 200), Total: scale, Used: used, Free: scale - min(used, scale)})
		case "opsdeck_backup_age_seconds":
			b := fleet.BackupStatus{Name: fleet.Sanitize(label, 200), NewestAt: judged.Add(-time.Duration(v * float64(time.Second))), Size: -1}
			if size, ok := r.figs["opsdeck_backup_size_bytes\x00"+label]; ok {
				b.Size = int64(size)
			}
			smp.Backups = append(smp.Backups, b)
		}
	}
	if len(smp.Disks) == 0 {
		smp.MarkUnknownAs(fleet.MetricDisk, fleet.CauseNotInSource, notExported)
	}
	// In one order whatever the map's: of two disks over, the host's
	// reason names the first, and names it at every refresh.
	slices.SortFunc(smp.Disks, func(a, b fleet.Disk) int { return strings.Compare(a.Mount, b.Mount) })
	slices.SortFunc(smp.Backups, func(a, b fleet.BackupStatus) int { return strings.Compare(a.Name, b.Name) })
	return smp
}

// figureChecks are the resource checks the figures say, OK until a
// failing check read back says otherwise, with the thresholds read back
// (only a failing host's are asked for).
func (r *reading) figureChecks(smp *fleet.Sample) []fleet.Check {
	var out []fleet.Check
	for _, res := range fleet.Resources {
		if res.Export == "" {
			continue
		}
		if res.Value != nil {
			if v, ok := res.Value(smp); ok {
				out = append(out, fleet.Check{Kind: res.Kind, Name: res.Name, Value: v, Unit: res.Unit, Limit: r.limits[res.Export], State: fleet.OK})
			}
			continue
		}
		for _, d := range smp.Disks {
			out = append(out, fleet.Check{Kind: res.Kind, Subject: d.Mount, Name: res.Name + " " + d.Mount, Value: d.UsedPercent(), Unit: res.Unit,
				Limit: r.limits[res.Export+"\x00"+d.Mount], State: fleet.OK})
		}
	}
	return out
}
