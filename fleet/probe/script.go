// Package probe is opsdeck's agentless probe: one POSIX sh script per poll,
// sent on stdin over one SSH session, printing every section between
// markers with its exit code; and the pure parsers that turn that output
// into a fleet.Sample. Garbage, truncation or a missing section makes the
// affected metric UNKNOWN with a reason — never a panic, never a guess.
package probe

import (
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/fleet"
)

// MaxOutput caps what one poll may return: a broken host cannot exhaust
// memory.
const MaxOutput = 1 << 20

// Quote makes s a single shell word: it reaches the command as one literal
// argument whatever it contains.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Script builds the probe: resources, then each service's status. nonce makes the section markers impossible for
// the host's data to imitate. baseline adds a first CPU reading 250 ms
// before the second, for the first poll of a host (CPU % needs two).
func Script(nonce string, mounts []string, services []fleet.Service, baseline bool) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "m=%s\nexport LC_ALL=C\n", Quote("@@opsdeck-"+nonce))
	section := func(name, cmd string) {
		fmt.Fprintf(&b, "echo \"$m begin %s\"\n%s\necho \"$m end %s $?\"\n", name, cmd, name)
	}
	if baseline {
		section("stat0", "grep -E '^cpu' /proc/stat")
		b.WriteString("sleep 0.25 2>/dev/null || sleep 1\n")
	}
	section("stat", "grep -E '^(cpu|btime)' /proc/stat")
	section("meminfo", "cat /proc/meminfo")
	section("loadavg", "cat /proc/loadavg")
	section("uptime", "cat /proc/uptime")
	section("ncpu", "getconf _NPROCESSORS_ONLN 2>/dev/null || nproc")
	if len(mounts) == 0 {
		section("mounts", "cat /proc/mounts")
		section("df", "df -P -k 2>/dev/null")
	} else {
		q := make([]string, len(mounts))
		for i, m := range mounts {
			q[i] = Quote(m)
		}
		section("df", "df -P -k -- "+strings.Join(q, " ")+" 2>/dev/null")
	}
	for i := range services {
		section(fmt.Sprintf("svc%d", i), StatusCommand(&services[i]))
	}
	b.WriteString("exit 0\n")
	return []byte(b.String())
}
