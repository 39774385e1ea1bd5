// Package fleet is opsdeck's model of the servers it watches: configuration,
// samples, health evaluation, the store of observations and the pollers that
// fill it. It knows nothing about terminals.
package fleet

import (
	"net"
	"strconv"
	"strings"
	"time"
)

// Config is a parsed and validated opsdeck configuration file.
type Config struct {
	// Name is the fleet's name, shown in the header.
	Name       string              `toml:"name"`
	Defaults   Defaults            `toml:"defaults"`
	Thresholds Thresholds          `toml:"thresholds"`
	Hosts      []Host              `toml:"hosts"`
	Keys       map[string][]string `toml:"keys"`
	// State is where the team's record (audit, drills, events, check
	// state) is kept: local files unless a database is named.
	State StateStore `toml:"state"`
	// Sources are where hosts' resources come from instead of the SSH
	// probe: a Prometheus that already scrapes their node_exporter.
	Sources []SourceConfig `toml:"sources"`
	// Commands are the team's runbook commands every host has (a host's
	// or a role's of the same name wins).
	Commands []Command `toml:"commands"`
	// Roles are what hosts share (services, backups, thresholds, tags,
	// connection settings), by name; a host takes them with roles = [...].
	Roles map[string]Role `toml:"roles"`
	// Inventories add hosts from what the team already keeps: an Ansible
	// inventory, an ssh_config, Prometheus file_sd targets.
	Inventories []Inventory `toml:"inventory"`
	// OnCall are the team's limits for acknowledgements, silences and
	// reminders.
	OnCall OnCallConfig `toml:"oncall"`
	// Notes are what went wrong in loading that did not stop it: an
	// inventory that failed (its last good list kept), a host defined
	// twice (the first kept). Said once: status line, config check, log.
	Notes []string `toml:"-"`
	// Left says which hosts of an inventory opsdeck leaves out and why (a
	// connection that is not SSH): known, not a failure.
	Left []string `toml:"-"`
	// InventoryErrs is each inventory's last read, by name: "" when it
	// was read, why not else (its hosts may be missing or old).
	InventoryErrs map[string]string `toml:"-"`

	// Origin records where the configuration came from and where each key
	// was written, so later checks (the key map, connections) can point at
	// the line to fix.
	Origin *Origin `toml:"-"`
}

// OnCallConfig: how long a silence may be, and how often a failing check
// nobody acknowledged is notified again, per state (off by default).
type OnCallConfig struct {
	// MaxSilence bounds a silence's length (DefaultMaxSilence when 0).
	MaxSilence Duration            `toml:"max_silence"` // default 7 days
	Renotify   map[string]Duration `toml:"renotify"`    // "CRIT" = "30m"
	// Windows are recurring maintenance windows, acting as silences
	// while they are open.
	Windows []Window `toml:"windows"`
}

// DefaultMaxSilence is the longest silence when [oncall] max_silence
// says nothing.
const DefaultMaxSilence = 7 * 24 * time.Hour

// StateStore names the shared record. URL is a postgres:// URL without a
// password (it comes from $PGPASSWORD, a .pgpass or PasswordFile);
// $OPSDECK_DATABASE_URL overrides it. Empty: the JSON-lines files in the
// state directory.
type StateStore struct {
	URL          string `toml:"url"`
	PasswordFile string `toml:"password_file"`
}

// SourceConfig is one [[sources]] table: a Prometheus server whose
// node_exporter series give the resources (CPU, memory, load, disks,
// uptime) of every configured host it knows, in one query per Interval.
// Services, backups, security and actions still go over SSH.
type SourceConfig struct {
	// Kind is "prometheus" (the hosts' resources from their node_exporter)
	// or "opsdeck" (the whole fleet as opsdeck pollers judged it, from the
	// Prometheus that scrapes them).
	Kind string `toml:"kind"`
	URL  string `toml:"url"`
	// Match are label matchers an "opsdeck" source adds to every series
	// it reads (`site="eu"`), "" for all.
	Match string `toml:"match"`
	// Hosts selects the node_exporter targets: a series selector whose
	// InstanceLabel names the host (default up{job="node"}, "instance").
	// An instance matches a configured host by name or address, with or
	// without its port.
	Hosts         string   `toml:"hosts"`
	InstanceLabel string   `toml:"instance_label"`
	Interval      Duration `toml:"interval"`    // default [defaults] poll_interval
	Timeout       Duration `toml:"timeout"`     // default 10s
	RateWindow    Duration `toml:"rate_window"` // CPU's rate() window, default 1m
}

// Matchers is the label matchers of the Hosts selector, without braces
// (`job="node"`), applied to every series opsdeck asks for.
func (s *SourceConfig) Matchers() string {
	i, j := strings.IndexByte(s.Hosts, '{'), strings.LastIndexByte(s.Hosts, '}')
	if i < 0 || j < i {
		return ""
	}
	return strings.TrimSpace(s.Hosts[i+1 : j])
}

// Defaults apply to every host that does not set the value itself.
type Defaults struct {
	User             string   `toml:"user"`
	Port             int      `toml:"port"`
	IdentityFiles    []string `toml:"identity_files"`
	KnownHosts       string   `toml:"known_hosts"`
	KnownHostsPolicy string   `toml:"known_hosts_policy"`
	SSHConfig        string   `toml:"ssh_config"`
	DBPorts          []int    `toml:"db_ports"`
	PollInterval     Duration `toml:"poll_interval"`
	Timeout          Duration `toml:"timeout"`
	Sudo             bool     `toml:"sudo"`
	// Security turns the security checklist (listening ports, sshd
	// settings, pending updates) on or off; on by default.
	Security *bool `toml:"security"`
	// Parallel is how many hosts a runbook command runs on at once
	// (default 16).
	Parallel int `toml:"parallel"`
}

// Host is one server of the fleet.
type Host struct {
	Name    string `toml:"name"`
	Address string `toml:"address"`
	// Roles are the [roles.NAME] the host takes, in order: its own keys
	// win, then each role's in turn, then [defaults].
	Roles []string `toml:"roles"`
	Port  int      `toml:"port"`
	User  string   `toml:"user"`
	Jump  string   `toml:"jump"`
	// Parents are hosts of the fleet this host is reached through besides
	// its jump host (a switch, a router, a VPN gateway): when all of them
	// are DOWN (or UNREACHABLE), the host is UNREACHABLE, not DOWN.
	Parents []string `toml:"parents"`
	// ProxyJump is a jump host that is not a host of the fleet, as ssh's
	// -J takes it ([user@]host[:port]): an inventory's, from the ssh
	// arguments Ansible gives the host.
	ProxyJump string `toml:"-"`
	// Elsewhere: another shard's host, polled here only because hosts of
	// this shard are reached through it (see Shard.Take); not reported.
	Elsewhere bool `toml:"-"`
	// Remote: known only from the pollers' series in Prometheus, not from
	// the config; opsdeck does not know how to reach it from here.
	Remote        bool        `toml:"-"`
	Env           string      `toml:"env"`
	Tags          []string    `toml:"tags"`
	IdentityFiles []string    `toml:"identity_files"`
	PollInterval  Duration    `toml:"poll_interval"`
	Timeout       Duration    `toml:"timeout"`
	Sudo          *bool       `toml:"sudo"`
	Mounts        []string    `toml:"mounts"`
	Thresholds    *Thresholds `toml:"thresholds"`
	Services      []Service   `toml:"services"`
	Backups       []Backup    `toml:"backups"`
	AllowedPorts  []int       `toml:"allowed_ports"`
	Security      *bool       `toml:"security"`
	Certs         []Cert      `toml:"certs"`
	// Commands are the runbook commands that apply to the host: its own,
	// its roles', then [[commands]]', joined by name.
	Commands []Command `toml:"commands"`
	// Resources = "ssh" keeps the host on the SSH probe when a Prometheus
	// source is configured.
	Resources string `toml:"resources"`

	// From is where the host was defined, for people: "config.toml:12",
	// or "inventory prod (ansible, group web)" (set by Load).
	From string `toml:"-"`
	// Effective values after defaults are applied (set by Load).
	Limits Limits `toml:"-"`
	// DBPorts are the database ports that must not listen publicly
	// ([defaults] db_ports, or DefaultDBPorts), set by Load.
	DBPorts map[int]string `toml:"-"`
	// Resolved is how the transport reaches the host after ~/.ssh/config
	// and [defaults] are applied (set when the fleet is wired up).
	Resolved Endpoint `toml:"-"`
}

// Role is what hosts share: every key of a host but its name, address
// and roles (a role that sets one of them is refused at load). Lists
// (services, backups, certs) join the host's by name; tags, mounts and
// allowed_ports are unions; any other value is taken when the host (or
// an earlier role) leaves it unset.
type Role = Host

// Command is one runbook command of the team's, run on one host or many
// over the same SSH as actions, from the config only. Its placeholders
// ({host}, {address}) are the host's own values, shell-quoted.
type Command struct {
	Name    string `toml:"name"`
	Command string `toml:"command"`
	// Kind is "inspect" (changes nothing on the host; in read-only mode
	// only with read_only_ok) or "change" (confirmed like a restart).
	Kind       string   `toml:"kind"`
	Timeout    Duration `toml:"timeout"` // default 1m
	Sudo       *bool    `toml:"sudo"`
	For        []string `toml:"for"` // the checks it helps with, by kind: disk, load, service…
	Key        string   `toml:"key"` // a direct binding in the dashboard
	ReadOnlyOK bool     `toml:"read_only_ok"`
}

// The placeholders of a runbook command.
const (
	PlaceholderHost    = "{host}"    // the host's name
	PlaceholderAddress = "{address}" // the host's address
)

// CommandPlaceholders are every placeholder of a runbook command.
var CommandPlaceholders = []string{PlaceholderHost, PlaceholderAddress}

// Endpoint is a resolved SSH destination.
type Endpoint struct {
	User, Addr string // Addr is host:port
	Via        string // jump chain, "" when direct
	// Jump is the fleet host the connection goes through first on its
	// way (its jump host, or ssh_config's ProxyJump naming a fleet host):
	// the host's parent. "" when direct or through a host not in the fleet.
	Jump string
}

// Limits are the thresholds in force for one host, every value set.
type Limits struct {
	CPU, Memory, Disk, Inodes, Load Pair
	Full                            FillLimits // the forecast of when a mount fills
}

// Pair is a resolved Level.
type Pair struct {
	Warn, Crit float64
	For        time.Duration // how long a level must hold before it alarms
	Clear      float64       // a raised alarm clears below this (0: warn)
	Off        bool          // the metric is not checked
}

// ClearAt is the value below which a raised alarm clears: Clear, or Warn
// when Clear is unset or above it.
func (p Pair) ClearAt() float64 {
	if p.Clear <= 0 || p.Clear > p.Warn {
		return p.Warn
	}
	return p.Clear
}

// Local reports whether the host is this machine, sampled in-process.
func (h *Host) Local() bool { return h.Address == LocalAddress }

// Prod reports whether the host is marked as production.
func (h *Host) Prod() bool { return h.Env == "prod" || h.Env == "production" }

// Endpoint is user@address:port as ssh would show it: the resolved
// destination when known, else what the config says.
func (h *Host) Endpoint() string {
	if h.Resolved.Addr != "" {
		if h.Resolved.User != "" {
			return h.Resolved.User + "@" + h.Resolved.Addr
		}
		return h.Resolved.Addr
	}
	addr := h.Address
	if h.Port > 0 {
		addr = net.JoinHostPort(h.Address, strconv.Itoa(h.Port))
	}
	if h.User != "" {
		addr = h.User + "@" + addr
	}
	return addr
}

// SecurityOn reports whether the security checklist runs for the host.
func (h *Host) SecurityOn() bool { return h.Security == nil || *h.Security }

// Interval is the host's effective poll interval.
func (h *Host) Interval() time.Duration { return h.PollInterval.Duration }

// StaleAge is how old the host's data may grow before it is STALE:
// StaleAfter intervals plus the poll timeout. Polls start an interval after
// the last one ended and may take up to the timeout, so a slow but healthy
// host's data is never called stale while its next poll is still in time.
func (h *Host) StaleAge() time.Duration {
	interval, timeout := h.Interval(), h.Timeout.Duration
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return StaleAfter*interval + timeout
}

// LocalAddress is the address that means "this machine, via gopsutil".
const LocalAddress = "local"

// Cert is a TLS endpoint whose certificate is checked from opsdeck's side.
type Cert struct {
	Endpoint string `toml:"endpoint"` // host:port
	Name     string `toml:"name"`     // the name the certificate must be valid for (SNI); default: the endpoint's host
	CAFile   string `toml:"ca_file"`  // extra trusted CA (PEM), e.g. an internal CA
	WarnDays int    `toml:"warn_days"`
	CritDays int    `toml:"crit_days"`
}

// DefaultDBPorts are database ports that must not listen publicly:
// PostgreSQL, MySQL, Redis, MongoDB, Elasticsearch, memcached.
var DefaultDBPorts = map[int]string{5432: "postgres", 3306: "mysql", 6379: "redis", 27017: "mongodb", 9200: "elasticsearch", 11211: "memcached"}

// Service is a process or unit whose status is watched and that can be
// restarted.
type Service struct {
	Name      string `toml:"name"`
	Kind      string `toml:"kind"`
	Unit      string `toml:"unit"`
	Program   string `toml:"program"`
	Container string `toml:"container"`
	Pattern   string `toml:"pattern"`
	Conf      string `toml:"conf"`
	Restart   string `toml:"restart"`
	// Log is the command that follows a process service's log (l in the
	// dashboard); the other kinds have their own.
	Log  string `toml:"log"`
	Sudo *bool  `toml:"sudo"`
}

// Backup is a backup whose freshness is watched and whose restore can be
// drilled.
type Backup struct {
	Name         string   `toml:"name"`
	Kind         string   `toml:"kind"`
	Path         string   `toml:"path"`
	Repo         string   `toml:"repo"`
	PasswordFile string   `toml:"password_file"`
	Command      string   `toml:"command"`
	MaxAge       Duration `toml:"max_age"`
	MinSize      Size     `toml:"min_size"`
	Snapshot     string   `toml:"snapshot"`
	Restore      string   `toml:"restore"`
	Verify       string   `toml:"verify"`
	Cleanup      string   `toml:"cleanup"`
	DrillEvery   Duration `toml:"drill_every"`
	DrillHost    string   `toml:"drill_host"`
}

// The placeholders of a backup's restore, verify and cleanup commands:
// each is replaced by a shell-quoted value when a drill runs.
const (
	PlaceholderArtifact = "{artifact}" // the newest artefact
	PlaceholderScratch  = "{scratch}"  // the drill's scratch directory
	PlaceholderDrillID  = "{drill_id}" // the drill's unique id
)

// DrillPlaceholders are every placeholder of a drill's commands.
var DrillPlaceholders = []string{PlaceholderArtifact, PlaceholderScratch, PlaceholderDrillID}

// Built-in defaults for values the file leaves out.
const (
	DefaultPollInterval = 5 * time.Second
	DefaultTimeout      = 10 * time.Second
	DefaultPort         = 22
	DefaultMaxAge       = 26 * time.Hour
	MinPollInterval     = time.Second
)

// DefaultLimits are the thresholds used when the file sets none: chosen
// for a 3 a.m. page. CPU and load alarm only when sustained (a build or a
// backup spikes them for minutes) and clear with a margin; memory after a
// minute; disk at once, since a full disk does not wait.
var DefaultLimits = Limits{
	CPU:    Pair{Warn: 85, Crit: 95, For: 5 * time.Minute, Clear: 75},
	Memory: Pair{Warn: 85, Crit: 95, For: time.Minute, Clear: 80},
	Disk:   Pair{Warn: 80, Crit: 90},
	Inodes: Pair{Warn: 80, Crit: 90},
	Load:   Pair{Warn: 1.5, Crit: 3, For: 5 * time.Minute, Clear: 1.2},
	Full:   DefaultFillLimits,
}

// Host is the host of the fleet named name, or nil.
func (c *Config) Host(name string) *Host {
	for i := range c.Hosts {
		if c.Hosts[i].Name == name {
			return &c.Hosts[i]
		}
	}
	return nil
}
