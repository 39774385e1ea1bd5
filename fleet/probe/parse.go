package probe

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Section is the output of one probe section.
type Section struct {
	Lines    []string
	Exit     int
	Complete bool // its end marker was seen

	parsed any // its parse (a mount or inode table), kept while the section is carried
}

// maxLines bounds one section; more is garbage.
const maxLines = 20000

// Split cuts probe output into sections by the markers carrying nonce.
// Text outside sections is ignored; a section without its end marker is
// kept with Complete false.
//
// A poll's output is copied once: every line is a slice of that copy and
// every section's lines a window of one slice of lines, so splitting costs
// a few allocations, not one per line. What outlives the poll (a carried
// section, a sanitised value) is copied from it.
func Split(out []byte, nonce string) map[string]*Section {
	mark := "@@opsdeck-" + nonce + " "
	text := string(out)
	all := make([]string, 0, strings.Count(text, "\n")+1) // never grows: the windows share it
	secs := make(map[string]*Section, 16)
	var cur *Section
	var curName string
	start := 0 // where cur's lines begin in all
	for len(text) > 0 {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		if rest, ok := strings.CutPrefix(line, mark); ok {
			var fs [4]string
			f := fields(rest, fs[:0])
			switch {
			case len(f) == 2 && f[0] == "begin":
				cur, curName, start = &Section{}, f[1], len(all)
				secs[curName] = cur
			case len(f) == 3 && f[0] == "end" && cur != nil && f[1] == curName:
				if code, err := strconv.Atoi(f[2]); err == nil {
					cur.Exit = code
					cur.Complete = true
				}
				cur = nil
			}
			continue
		}
		if cur != nil && len(all)-start < maxLines {
			all = append(all, line)
			cur.Lines = all[start:len(all):len(all)]
		}
	}
	return secs
}

// clone is a copy of the section that holds none of the poll's output.
func (s *Section) clone() *Section {
	c := *s
	c.parsed = nil // parsed again from the copy: the parse holds the output's strings
	c.Lines = make([]string, len(s.Lines))
	for i, l := range s.Lines {
		c.Lines[i] = strings.Clone(l)
	}
	return &c
}

// errMissing and friends explain why a metric is unknown.
var errNoSection = errors.New("no output")

// usable returns a section's lines or why they cannot be trusted; an empty
// section is an error (see usableAny for sections that may print nothing).
func usable(secs map[string]*Section, name string) ([]string, error) {
	lines, err := usableAny(secs, name)
	if err != nil {
		return nil, err
	}
	if s := secs[name]; s.Exit != 0 {
		return nil, fmt.Errorf("%s failed on the host (exit %d)", name, s.Exit)
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s: %w", name, errNoSection)
	}
	return lines, nil
}

// CPUTimes are the cumulative jiffies of one /proc/stat cpu line.
type CPUTimes struct {
	Busy, Total uint64
}

// Stat is what /proc/stat tells: all CPUs, each core, boot time.
type Stat struct {
	All   CPUTimes
	Cores []CPUTimes
	BTime int64
}

// ParseStat parses the cpu and btime lines of /proc/stat.
func ParseStat(lines []string) (*Stat, error) {
	st := &Stat{}
	seenAll := false
	var fs [16]string
	for _, l := range lines {
		f := fields(l, fs[:0])
		if len(f) == 0 {
			continue
		}
		switch {
		case f[0] == "btime" && len(f) == 2:
			v, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil || v <= 0 {
				return nil, fmt.Errorf("bad btime %q", l)
			}
			st.BTime = v
		case f[0] == "cpu":
			t, err := parseCPULine(f)
			if err != nil {
				return nil, err
			}
			st.All, seenAll = t, true
		case strings.HasPrefix(f[0], "cpu"):
			n, err := strconv.Atoi(f[0][3:])
			if err != nil || n != len(st.Cores) {
				return nil, fmt.Errorf("unexpected line %q", clip(l))
			}
			t, err := parseCPULine(f)
			if err != nil {
				return nil, err
			}
			st.Cores = append(st.Cores, t)
		default:
			return nil, fmt.Errorf("unexpected line %q", clip(l))
		}
	}
	if !seenAll {
		return nil, errors.New("no aggregate cpu line")
	}
	return st, nil
}

// parseCPULine reads user nice system idle [iowait irq softirq steal …].
// Guest time is already in user time, so fields past steal are ignored.
func parseCPULine(f []string) (CPUTimes, error) {
	if len(f) < 5 {
		return CPUTimes{}, fmt.Errorf("short cpu line %q", clip(strings.Join(f, " ")))
	}
	var v [8]uint64
	for i := 1; i < len(f) && i <= 8; i++ {
		n, err := strconv.ParseUint(f[i], 10, 64)
		if err != nil {
			return CPUTimes{}, fmt.Errorf("bad number %q in cpu line", clip(f[i]))
		}
		v[i-1] = n
	}
	var total uint64
	for _, n := range v {
		if total+n < total {
			return CPUTimes{}, errors.New("cpu counters overflow")
		}
		total += n
	}
	idle := v[3] + v[4] // idle + iowait
	return CPUTimes{Busy: total - idle, Total: total}, nil
}

// Percent is the busy share between two readings; false when they cannot
// be compared (no time passed, or counters went backwards after a reboot).
func Percent(prev, cur CPUTimes) (float64, bool) {
	if cur.Total <= prev.Total || cur.Busy < prev.Busy {
		return 0, false
	}
	p := float64(cur.Busy-prev.Busy) / float64(cur.Total-prev.Total) * 100
	if p > 100 {
		return 0, false
	}
	return p, true
}

// Meminfo is the part of /proc/meminfo opsdeck uses, in bytes.
type Meminfo struct {
	Total, Available, SwapTotal, SwapFree uint64
}

// ParseMeminfo parses /proc/meminfo. MemAvailable falls back to
// MemFree+Buffers+Cached on kernels older than 3.14.
func ParseMeminfo(lines []string) (*Meminfo, error) {
	var m Meminfo
	var free, buffers, cached uint64
	var seenAvail, seenFree bool
	var fs [4]string
	for _, l := range lines {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("unexpected line %q", clip(l))
		}
		f := fields(v, fs[:0])
		if len(f) == 0 || len(f) > 2 || (len(f) == 2 && f[1] != "kB") {
			return nil, fmt.Errorf("unexpected value in %q", clip(l))
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil || n > math.MaxUint64/1024 {
			return nil, fmt.Errorf("bad number in %q", clip(l))
		}
		if len(f) == 2 {
			n *= 1024
		}
		// A key given twice counts as its last line says.
		switch strings.TrimSpace(k) {
		case "MemTotal":
			m.Total = n
		case "MemAvailable":
			m.Available, seenAvail = n, true
		case "MemFree":
			free, seenFree = n, true
		case "Buffers":
			buffers = n
		case "Cached":
			cached = n
		case "SwapTotal":
			m.SwapTotal = n
		case "SwapFree":
			m.SwapFree = n
		}
	}
	if m.Total == 0 {
		return nil, errors.New("no MemTotal")
	}
	switch {
	case seenAvail:
	case seenFree:
		m.Available = free + buffers + cached
	default:
		return nil, errors.New("no MemAvailable or MemFree")
	}
	if m.Available > m.Total || m.SwapFree > m.SwapTotal {
		return nil, errors.New("inconsistent values (free exceeds total)")
	}
	return &m, nil
}

// ParseLoadavg parses /proc/loadavg's three averages.
func ParseLoadavg(lines []string) ([3]float64, error) {
	var out [3]float64
	if len(lines) != 1 {
		return out, fmt.Errorf("want one line, got %d", len(lines))
	}
	var fs [8]string
	f := fields(lines[0], fs[:0])
	if len(f) < 3 {
		return out, fmt.Errorf("unexpected %q", clip(lines[0]))
	}
	for i := 0; i < 3; i++ {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return out, fmt.Errorf("bad load %q", clip(f[i]))
		}
		out[i] = v
	}
	return out, nil
}

// ParseUptime parses /proc/uptime's first field, in seconds.
func ParseUptime(lines []string) (float64, error) {
	if len(lines) != 1 {
		return 0, fmt.Errorf("want one line, got %d", len(lines))
	}
	var fs [4]string
	f := fields(lines[0], fs[:0])
	if len(f) < 1 {
		return 0, errors.New("empty")
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) || v > 1e10 {
		return 0, fmt.Errorf("bad uptime %q", clip(f[0]))
	}
	return v, nil
}

// ParseNCPU parses the online core count.
func ParseNCPU(lines []string) (int, error) {
	if len(lines) != 1 {
		return 0, fmt.Errorf("want one line, got %d", len(lines))
	}
	n, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || n < 1 || n > 1<<20 {
		return 0, fmt.Errorf("bad core count %q", clip(lines[0]))
	}
	return n, nil
}

func fieldsAt(s string, fields []string, at []int) ([]string, []int) {
	fields, at = fields[:0], at[:0]
	start := -1
	for i := 0; i <= len(s); i++ {
		sep := i == len(s) || s[i] == ' ' || s[i] == '\t'
		switch {
		case sep && start >= 0:
			fields, at = append(fields, s[start:i]), append(at, start)
			start = -1
		case !sep && start < 0:
			start = i
		}
	}
	return fields, at
}

// fields is fieldsAt without the positions.
func fields(s string, into []string) []string {
	var at [16]int
	f, _ := fieldsAt(s, into, at[:0])
	return f
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
