package probe

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Mount is one /proc/mounts entry.
type Mount struct {
	Device, Point, FSType string
	ReadOnly              bool
}

// ParseMounts parses /proc/mounts, decoding octal escapes (\040 is a space).
func ParseMounts(lines []string) (map[string]Mount, error) {
	out := make(map[string]Mount, len(lines))
	var fs [8]string
	for _, l := range lines {
		f := fields(l, fs[:0])
		if len(f) < 3 {
			return nil, fmt.Errorf("unexpected line %q", clip(l))
		}
		m := Mount{Device: unescapeOctal(f[0]), Point: unescapeOctal(f[1]), FSType: f[2]}
		if len(f) > 3 {
			for o, rest, more := "", f[3], true; more && !m.ReadOnly; {
				o, rest, more = strings.Cut(rest, ",")
				m.ReadOnly = o == "ro"
			}
		}
		out[m.Point] = m // a later mount on the same point hides the earlier
	}
	return out, nil
}

func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) && isOctal(s[i+1:i+4]) {
			n, _ := strconv.ParseUint(s[i+1:i+4], 8, 8)
			b.WriteByte(byte(n))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '7' {
			return false
		}
	}
	return s[0] <= '3'
}

// DFRow is one filesystem as df -P -k reports it, in bytes.
type DFRow struct {
	Device, Mount      string
	Total, Used, Avail uint64
}

// ParseDF parses `df -P -k`. The mount point is everything after the
// capacity column, so it may hold spaces.
func ParseDF(lines []string) ([]DFRow, error) { return parseDF(lines, 1024) }

// ParseDFInodes parses `df -P -i`: the same columns, counting inodes
// (Total, Used, Avail are inode counts).
func ParseDFInodes(lines []string) ([]DFRow, error) { return parseDF(lines, 1) }

func parseDF(lines []string, scale uint64) ([]DFRow, error) {
	rows := make([]DFRow, 0, len(lines))
	for i, l := range lines {
		if i == 0 && strings.HasPrefix(l, "Filesystem") {
			continue
		}
		var fs [16]string
		var as [16]int
		f, at := fieldsAt(l, fs[:0], as[:0])
		cap := -1
		for j := 4; j < len(f); j++ {
			if strings.HasSuffix(f[j], "%") {
				cap = j
				break
			}
		}
		if cap < 4 || cap == len(f)-1 {
			return nil, fmt.Errorf("unexpected line %q", clip(l))
		}
		var n [3]uint64
		for k := 0; k < 3; k++ {
			v, err := strconv.ParseUint(f[cap-3+k], 10, 64)
			if err != nil || v > math.MaxUint64/scale {
				return nil, fmt.Errorf("bad number in %q", clip(l))
			}
			n[k] = v * scale
		}
		mount := l[at[cap+1]:]
		rows = append(rows, DFRow{Device: strings.Join(f[:cap-3], " "), Mount: mount, Total: n[0], Used: n[1], Avail: n[2]})
	}
	return rows, nil
}

// fieldsAt splits on spaces and tabs like strings.Fields, into the storage
// of fields and at (no allocation for a line of up to their capacity), and
// also returns where each field starts. Every poll splits some hundred
// lines: callers pass arrays on their stack.
