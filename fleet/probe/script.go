// Package probe is opsdeck's agentless probe: one POSIX sh script per poll,
// sent on stdin over one SSH session, printing every section between
// markers with its exit code; and the pure parsers that turn that output
// into a fleet.Sample. Garbage, truncation or a missing section makes the
// affected metric UNKNOWN with a reason — never a panic, never a guess.
package probe

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// MaxOutput caps what one poll may return: a broken host cannot exhaust
// memory.
const MaxOutput = 1 << 20

// Quote makes s one literal word for the shell (fleet.Quote).
func Quote(s string) string { return fleet.Quote(s) }

// Script builds the probe: resources, then each service's status. nonce
// makes the section markers impossible for the host's data to imitate.
// baseline, when not 0, adds a first CPU reading that long before the
// second, for the first poll of a host (CPU % needs two). tables adds what
// changes slowly: df -i and the mount table (a poll in a minute asks, the
// others carry the last).
//
// Every process the script starts is paid by the host at every poll, so
// files are read by one cat where their sections can be told apart: the
// markers between them come from a here-document on cat's stdin.
func Script(nonce string, mounts []string, services []Step, baseline time.Duration, tables bool, extra ...Step) []byte {
	var b strings.Builder
	writeHeader(&b, nonce)
	section := func(name, cmd string) { writeSection(&b, name, cmd) }
	if baseline > 0 {
		section("stat0", "grep -E '^cpu' /proc/stat")
		// POSIX sleep takes whole seconds; GNU and busybox take fractions.
		fmt.Fprintf(&b, "sleep %s 2>/dev/null || sleep %d\n",
			strconv.FormatFloat(baseline.Seconds(), 'f', -1, 64), int(math.Ceil(baseline.Seconds())))
	}
	section("stat", "grep -E '^(cpu|btime)' /proc/stat")
	// One-line files are read by the shell itself: no process to start.
	section("loadavg", `read -r l < /proc/loadavg && printf '%s\n' "$l"`)
	section("uptime", `read -r l < /proc/uptime && printf '%s\n' "$l"`)
	switch {
	case len(mounts) == 0 && tables:
		// meminfo and mounts in one cat; its exit code is the mounts
		// section's (an unreadable meminfo shows as an empty section).
		b.WriteString("echo \"$m begin meminfo\"\ncat /proc/meminfo - /proc/mounts <<EOF\n$m end meminfo 0\n$m begin mounts\nEOF\necho \"$m end mounts $?\"\n")
		section("df", "df -P -k 2>/dev/null")
		section("dfi", "df -P -i 2>/dev/null")
	case len(mounts) == 0:
		section("meminfo", "cat /proc/meminfo")
		section("df", "df -P -k 2>/dev/null")
	default:
		section("meminfo", "cat /proc/meminfo")
		q := make([]string, len(mounts))
		for i, m := range mounts {
			q[i] = Quote(m)
		}
		section("df", "df -P -k -- "+strings.Join(q, " ")+" 2>/dev/null")
		if tables {
			section("dfi", "df -P -i -- "+strings.Join(q, " ")+" 2>/dev/null")
		}
	}
	for _, e := range append(services, extra...) {
		section(e.Name, e.Cmd)
	}
	b.WriteString("exit 0\n")
	return []byte(b.String())
}

// writeHeader starts a script whose sections carry nonce in their markers.
func writeHeader(b *strings.Builder, nonce string) {
	fmt.Fprintf(b, "m=%s\nexport LC_ALL=C\n", Quote("@@opsdeck-"+nonce))
}

// writeSection adds a section: its markers around cmd, with cmd's exit code.
func writeSection(b *strings.Builder, name, cmd string) {
	fmt.Fprintf(b, "echo \"$m begin %s\"\n%s\necho \"$m end %s $?\"\n", name, cmd, name)
}

// Step is one more section of the probe: its name and its command.
type Step struct{ Name, Cmd string }

// backupSteps are the sections that check the due backups.
func backupSteps(h *fleet.Host, due []int, rc *resticCache) []Step {
	steps := make([]Step, len(due))
	for i, d := range due {
		steps[i] = Step{Name: fmt.Sprintf("bk%d", d), Cmd: rc.command(&h.Backups[d], h.Sudo != nil && *h.Sudo)}
	}
	return steps
}

// backupStatuses parses the checked backups' sections.
func backupStatuses(h *fleet.Host, due []int, secs map[string]*Section, at time.Time, rc *resticCache) []fleet.BackupStatus {
	out := make([]fleet.BackupStatus, len(due))
	for i, d := range due {
		out[i] = rc.status(&h.Backups[d], secs[fmt.Sprintf("bk%d", d)], at)
	}
	return out
}
