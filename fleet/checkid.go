package fleet

import "fmt"

// CheckKind is what a check is about; with its Subject it names the check
// in code, in the CLI and in the record (Key), never by its words.
type CheckKind uint8

// Check kinds.
const (
	KindUnset    CheckKind = iota // a check that does not say what it is: a bug, never matched
	KindHost                      // the host itself: its connection, its data's age
	KindCPU                       // CPU use
	KindMemory                    // memory use
	KindLoad                      // load per core
	KindDisk                      // a mount's space; Subject: the mount
	KindInodes                    // a mount's inode table; Subject: the mount
	KindService                   // Subject: the service's name
	KindBackup                    // Subject: the backup's name
	KindSecurity                  // an item of the security checklist; Subject: SecSSHD, SecUpdates…
	KindCert                      // a TLS endpoint's certificate; Subject: host:port
)

var kindKeys = [...]string{KindUnset: "unset", KindHost: "host", KindCPU: "cpu", KindMemory: "memory", KindLoad: "load", KindDisk: "disk",
	KindInodes: "inodes", KindService: "service", KindBackup: "backup", KindSecurity: "security", KindCert: "cert"}

func (k CheckKind) String() string {
	if int(k) < len(kindKeys) {
		return kindKeys[k]
	}
	return fmt.Sprintf("CheckKind(%d)", k)
}

// CheckKindNames are the kinds' names (a command's for, a matcher's).
func CheckKindNames() []string {
	out := make([]string, 0, len(kindKeys)-1)
	for k := KindHost; int(k) < len(kindKeys); k++ {
		out = append(out, k.String())
	}
	return out
}

// The items of the security checklist (Subject of a KindSecurity check).
const (
	SecListening = "listening ports"
	SecDBPorts   = "database ports"
	SecOpenPorts = "open ports"
	SecSSHD      = "sshd"
	SecUpdates   = "updates"
	SecReboot    = "reboot"
)

// Cause is why a check is in its state: what code (remedies, grouping,
// matchers) decides on. Reasons are for people and may be reworded.
type Cause uint8

// Causes.
const (
	CauseNone Cause = iota // OK, or nothing more to say

	// Resources.
	CauseOver         // a value at or over its threshold
	CauseUnreadable   // could not be read: no verdict
	CauseNotInSource  // the shared source (Prometheus) has no figures of it
	CauseNotScraped   // the shared source cannot scrape it (up == 0)
	CauseSourceFailed // the shared source does not answer

	// Services.
	CauseNotRunning
	CauseFlapping
	CauseNotEnabled    // would not start at boot
	CauseNoAutoRestart // would not be restarted when it dies

	// Backups.
	CauseNoBackup
	CauseTooOld
	CauseTooSmall
	CauseNeverDrilled
	CauseDrillOverdue
	CauseDrillFailed
	CauseDrillsUnknown // the drill history could not be read

	// Security.
	CauseLoginSetting // sshd lets more than keys in
	CausePublicDB     // a database port listens beyond loopback
	CauseUnexpectedPort
	CauseUpdates
	CauseReboot
	CauseNotApplicable // the check does not apply here (no sshd, no package manager)

	// Certificates.
	CauseExpiring
	CauseCertInvalid // expired, wrong name, untrusted, no handshake

	// The host.
	CausePolling  // first poll on its way
	CauseRefused  // nothing listens on its SSH port
	CauseNoBanner // the port answers, SSH does not
	CauseDown     // any other failed poll
	CauseSlow     // answers, too late
	CauseKeyChanged
	CauseStale // no new data
	CauseNotPolled

	// Disks, at the end to keep the numbers above.
	CauseFillsUp // full soon at its rate (the forecast)

	// Hosts, at the end to keep the numbers above.
	CauseUnreachable // behind a parent that is DOWN
)

// Key is the stable name of a check: "cpu", "disk:/var", "service:nginx",
// "backup:pg-nightly", "security:sshd", "cert:www.example.com:443", "host".
func (c Check) Key() string { return CheckKey(c.Kind, c.Subject) }

// CheckKey is the key of a check of kind k about subject.
func CheckKey(k CheckKind, subject string) string {
	if subject == "" {
		return k.String()
	}
	return k.String() + ":" + subject
}

// Causer is an error that knows the cause it means for the host (the
// transport's classified errors).
type Causer interface{ HostCause() Cause }

// causeKeys name the causes in outputs (a label, a JSON field): stable,
// like the kinds' names, whatever a reason's words say.
var causeKeys = [...]string{CauseNone: "", CauseOver: "over", CauseUnreadable: "unreadable", CauseNotInSource: "not_in_source",
	CauseNotScraped: "not_scraped", CauseSourceFailed: "source_failed", CauseNotRunning: "not_running", CauseFlapping: "flapping",
	CauseNotEnabled: "not_enabled", CauseNoAutoRestart: "no_auto_restart", CauseNoBackup: "no_backup", CauseTooOld: "too_old",
	CauseTooSmall: "too_small", CauseNeverDrilled: "never_drilled", CauseDrillOverdue: "drill_overdue", CauseDrillFailed: "drill_failed",
	CauseDrillsUnknown: "drills_unknown", CauseLoginSetting: "login_setting", CausePublicDB: "public_db", CauseUnexpectedPort: "unexpected_port",
	CauseUpdates: "updates", CauseReboot: "reboot", CauseNotApplicable: "not_applicable", CauseExpiring: "expiring",
	CauseCertInvalid: "cert_invalid", CausePolling: "polling", CauseRefused: "refused", CauseNoBanner: "no_banner", CauseDown: "down",
	CauseSlow: "slow", CauseKeyChanged: "key_changed", CauseStale: "stale", CauseNotPolled: "not_polled", CauseFillsUp: "fills_up",
	CauseUnreachable: "unreachable"}

// String is the cause's stable name ("over", "not_running"; "" for none).
func (c Cause) String() string {
	if int(c) < len(causeKeys) {
		return causeKeys[c]
	}
	return fmt.Sprintf("cause%d", c)
}

// MarshalText writes a kind as its name ("disk") in JSON.
func (k CheckKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// MarshalText writes a cause as its name ("not_running") in JSON.
func (c Cause) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads a kind's name; a name it does not know (a newer
// version's) is KindUnset.
func (k *CheckKind) UnmarshalText(b []byte) error {
	*k = KindUnset
	for i, n := range kindKeys {
		if n == string(b) {
			*k = CheckKind(i)
		}
	}
	return nil
}

// UnmarshalText reads a cause's name; one it does not know is CauseNone.
func (c *Cause) UnmarshalText(b []byte) error {
	*c = CauseNone
	for i, n := range causeKeys {
		if n == string(b) {
			*c = Cause(i)
		}
	}
	return nil
}
