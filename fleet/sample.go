package fleet

import "time"

// Metric names one family of measurements in a Sample.
type Metric string

// The metrics a sample carries.
const (
	MetricCPU    Metric = "cpu"
	MetricMemory Metric = "memory"
	MetricLoad   Metric = "load"
	MetricDisk   Metric = "disk"
	MetricUptime Metric = "uptime"
)

// Sample is one reading of a host's resources. Whatever source produced it
// (gopsutil locally, the probe script over SSH), the shape is the same. A
// metric that could not be read is listed in Unknown with the reason, and
// its fields are zero; it is never a guess.
type Sample struct {
	At time.Time
	// Relative: read back from a poller's figures (percentages): the
	// sizes (memory, disks) are scaled to them, not the host's.
	Relative bool

	CPU     float64   // percent busy, all cores, since the previous sample
	PerCore []float64 // percent busy per core
	// CPUCarried: opsdeck's own heavy checks ran on the host since the
	// previous sample, so CPU and PerCore are that sample's, not a reading
	// of this window.
	CPUCarried bool

	MemTotal, MemUsed, MemAvailable uint64 // bytes
	SwapTotal, SwapUsed             uint64

	Load1, Load5, Load15 float64
	Cores                int

	Disks []Disk

	Uptime   time.Duration
	BootTime time.Time

	Services []ServiceStatus
	Backups  []BackupStatus
	Security *SecurityStatus // nil until the first security check
	Certs    []CertStatus

	Unknown map[Metric]string
	// UnknownCause says, for some of them, what that means (a shared
	// source without the figure); the others are CauseUnreadable.
	UnknownCause map[Metric]Cause
}

// Disk is the usage of one mounted filesystem.
type Disk struct {
	Mount, Device, FSType string
	Total, Used, Free     uint64 // bytes; Used+Free can be < Total (reserved blocks)
	// Inodes and IUsed are the inode table's size and use; 0 when the
	// filesystem has none of fixed size (btrfs, vfat) or it was not read.
	Inodes, IUsed uint64
	Err           string // why this mount could not be read
	ErrCause      Cause  // and what that means (CauseNotInSource…); CauseNone: unreadable
}

// InodePercent is the share of the inode table in use.
func (d Disk) InodePercent() float64 {
	if d.Inodes == 0 {
		return 0
	}
	return float64(d.IUsed) / float64(d.Inodes) * 100
}

// UsedPercent is the share of the space available to users that is in use,
// as df reports it.
func (d Disk) UsedPercent() float64 {
	if d.Used+d.Free == 0 {
		return 0
	}
	return float64(d.Used) / float64(d.Used+d.Free) * 100
}

// MemPercent is the share of memory in use (total minus available).
func (s *Sample) MemPercent() float64 {
	if s.MemTotal == 0 {
		return 0
	}
	return float64(s.MemUsed) / float64(s.MemTotal) * 100
}

// SwapPercent is the share of swap in use; 0 without swap.
func (s *Sample) SwapPercent() float64 {
	if s.SwapTotal == 0 {
		return 0
	}
	return float64(s.SwapUsed) / float64(s.SwapTotal) * 100
}

// LoadPerCore is the 1-minute load average divided by the core count.
func (s *Sample) LoadPerCore() float64 {
	if s.Cores <= 0 {
		return 0
	}
	return s.Load1 / float64(s.Cores)
}

// Known reports whether metric m was read.
func (s *Sample) Known(m Metric) bool {
	_, bad := s.Unknown[m]
	return !bad
}

// MarkUnknown records why metric m could not be read.
func (s *Sample) MarkUnknown(m Metric, reason string) {
	if s.Unknown == nil {
		s.Unknown = map[Metric]string{}
	}
	s.Unknown[m] = reason
}

// MarkUnknownAs records why metric m could not be read, and what that
// means for code (a shared source without it: CauseNotInSource…).
func (s *Sample) MarkUnknownAs(m Metric, cause Cause, reason string) {
	s.MarkUnknown(m, reason)
	if s.UnknownCause == nil {
		s.UnknownCause = map[Metric]Cause{}
	}
	s.UnknownCause[m] = cause
}

// WorstDisk is the mount with the highest use, or nil when none was read.
func (s *Sample) WorstDisk() *Disk {
	var w *Disk
	for i := range s.Disks {
		d := &s.Disks[i]
		if d.Err != "" {
			continue
		}
		if w == nil || d.UsedPercent() > w.UsedPercent() {
			w = d
		}
	}
	return w
}

// ServiceStatus is what a probe learnt about one configured service.
type ServiceStatus struct {
	Name, Kind string
	State      string // the kind's own word, upper-cased: RUNNING, FAILED, FATAL, EXITED…
	Running    bool
	PID        int
	Since      time.Time // when it (re)started; zero if unknown
	// Restarts is the kind's cumulative restart count (systemd NRestarts,
	// docker RestartCount, pm2 restart_time), or the restarts opsdeck saw
	// itself (a new PID) for kinds that keep none; -1 when unknown.
	Restarts int
	// Recent is how many restarts happened within FlapWindow.
	Recent      int
	Enabled     *bool  // starts at boot; nil when the kind cannot tell
	AutoRestart *bool  // restarted by its supervisor when it dies; nil when unknown
	Detail      string // the kind's description (supervisor's "Exited too quickly")
	Err         string // why the status could not be read: the check is UNKNOWN
}

// FlapWindow and FlapRestarts define FLAPPING: at least FlapRestarts
// restarts within FlapWindow.
const (
	FlapWindow   = 10 * time.Minute
	FlapRestarts = 3
)

// BackupStatus is what a probe learnt about one configured backup.
type BackupStatus struct {
	Name, Kind string
	Newest     string    // newest artefact: a path, or a restic snapshot id
	NewestAt   time.Time // zero when none was found
	Size       int64     // bytes of the newest artefact; -1 when unknown
	PrevSize   int64     // bytes of the one before; -1 when unknown
	Count      int       // artefacts found; -1 when unknown
	CheckedAt  time.Time // when this status was read (backups are checked at a slower cadence)
	Err        string    // why it could not be read: UNKNOWN
}

// DrillRecord is the outcome of one restore drill, kept in the drill
// history on the operator's side.
type DrillRecord struct {
	Time        time.Time     `json:"time"`
	Host        string        `json:"host"`
	Backup      string        `json:"backup"`
	DrillID     string        `json:"drill_id"`
	Passed      bool          `json:"passed"`
	Duration    time.Duration `json:"duration_ns"`
	Artifact    string        `json:"artifact"`
	ArtifactAge time.Duration `json:"artifact_age_ns"`
	Size        int64         `json:"artifact_size"`
	Reason      string        `json:"reason,omitempty"`
	Output      []string      `json:"output_tail,omitempty"`
	Operator    string        `json:"operator"`
}

// DrillSummary is what the dashboard needs of a backup's drill history.
type DrillSummary struct {
	Last     *DrillRecord // the latest drill, passed or not
	LastPass *DrillRecord // the latest passing drill
	// Recent are the latest RecentDrills drills, newest first.
	Recent []DrillRecord
	// Unknown says why the drill history could not be read (the shared
	// record was unreachable): what the fields above hold, or miss, is
	// then no verdict on the backup.
	Unknown string
}

// RecentDrills is how many drills of a backup the dashboard lists.
const RecentDrills = 5

// Listener is a listening socket.
type Listener struct {
	Proto string // tcp, udp
	Addr  string // the bound address: 0.0.0.0, ::, 127.0.0.1…
	Port  int
}

// SecurityStatus is the host's security checklist as a probe read it.
type SecurityStatus struct {
	CheckedAt time.Time

	Listeners  []Listener
	ListenErr  string
	ListenFrom string // "ss" or "/proc/net"
	SSHD       map[string]string
	SSHDFrom   string // "sshd -T" or "config files"
	SSHDErr    string
	SSHDAbsent bool // no sshd runs on the host: its settings do not apply
	// UpdatesRead: the updates check ran; PkgManager "" then means the
	// host has no package manager opsdeck knows.
	UpdatesRead bool
	PkgManager  string // apt, dnf, yum; "" when none was found
	Pending     int    // -1 when unknown
	Security    int    // -1 when unknown
	Reboot      bool
	UpdatesErr  string
}

// CertStatus is a TLS endpoint's certificate, checked from the operator's
// side.
type CertStatus struct {
	Endpoint, Name string
	NotAfter       time.Time
	Issuer         string
	NameErr        string // the certificate is not valid for Name
	TrustErr       string // the chain does not verify
	Err            string // no TLS handshake
	CheckedAt      time.Time
}

// SourceStatus is the health of a source shared by many hosts (a
// Prometheus): shown once, not as each host's error.
type SourceStatus struct {
	Name  string    // "prometheus http://prom:9090"
	Err   string    // why the last query failed, "" when it answered
	Since time.Time // when it began failing
	OK    time.Time // its last good answer
}
