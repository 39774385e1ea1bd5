package fleet

// Resource is one resource metric: the one definition that evaluation,
// the alarms over time, validation, `config show` and every output read.
// Adding a metric is one entry here, plus what reads it from a host (the
// probe's parser, the local source, the Prometheus query).
type Resource struct {
	Kind    CheckKind
	Name    string // its [thresholds] key, its check's and its alarm's name: cpu, disk
	Metric  Metric // what a Sample marks unknown when it could not be read
	Percent bool   // a percentage (thresholds at most 100); else a ratio
	Unit    string // as its value is printed: "%", or "/core"
	// Limit and Level are its thresholds in force and as written.
	Limit func(*Limits) *Pair
	Level func(*Thresholds) *Level
	// Value is a host-wide resource's value in a sample, and whether it
	// was read; Mount is a per-mount one's (disk, inodes), nil else.
	Value func(*Sample) (float64, bool)
	Mount func(Disk) (float64, bool)
	// Export names its figure in check's outputs: the Prometheus metric
	// and the perfdata label ("" for a resource not exported).
	Export, Label string
}

// Resources are the resource metrics, in the order checks list them.
var Resources = []Resource{
	{Kind: KindCPU, Name: "cpu", Metric: MetricCPU, Percent: true, Unit: "%",
		Limit: func(l *Limits) *Pair { return &l.CPU }, Level: func(t *Thresholds) *Level { return &t.CPU },
		Value:  func(s *Sample) (float64, bool) { return s.CPU, s.Known(MetricCPU) },
		Export: "opsdeck_cpu_percent", Label: "cpu"},
	{Kind: KindMemory, Name: "memory", Metric: MetricMemory, Percent: true, Unit: "%",
		Limit: func(l *Limits) *Pair { return &l.Memory }, Level: func(t *Thresholds) *Level { return &t.Memory },
		Value:  func(s *Sample) (float64, bool) { return s.MemPercent(), s.Known(MetricMemory) },
		Export: "opsdeck_memory_percent", Label: "memory"},
	{Kind: KindLoad, Name: "load", Metric: MetricLoad, Unit: "/core",
		Limit: func(l *Limits) *Pair { return &l.Load }, Level: func(t *Thresholds) *Level { return &t.Load },
		Value:  func(s *Sample) (float64, bool) { return s.LoadPerCore(), s.Known(MetricLoad) && s.Cores > 0 },
		Export: "opsdeck_load1_per_core", Label: "load1 per core"},
	{Kind: KindDisk, Name: "disk", Metric: MetricDisk, Percent: true, Unit: "%",
		Limit: func(l *Limits) *Pair { return &l.Disk }, Level: func(t *Thresholds) *Level { return &t.Disk },
		Mount:  func(d Disk) (float64, bool) { return d.UsedPercent(), d.Err == "" },
		Export: "opsdeck_disk_used_percent", Label: "disk"},
	{Kind: KindInodes, Name: "inodes", Metric: MetricDisk, Percent: true, Unit: "%",
		Limit: func(l *Limits) *Pair { return &l.Inodes }, Level: func(t *Thresholds) *Level { return &t.Inodes },
		// 0 inodes: the filesystem has no fixed inode table (btrfs, vfat).
		Mount: func(d Disk) (float64, bool) { return d.InodePercent(), d.Err == "" && d.Inodes > 0 }},
}

// ResourceNamed is the resource of a name (cpu, memory, load, disk,
// inodes), nil for none.
func ResourceNamed(name string) *Resource {
	for i := range Resources {
		if Resources[i].Name == name {
			return &Resources[i]
		}
	}
	return nil
}
