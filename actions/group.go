package actions

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// HostOutput is what one host's run of a command gave.
type HostOutput struct {
	Host   string
	Exit   int
	Output []string // its lines, as kept by the run's ring
	// Dropped is how many earlier lines the ring did not keep.
	Dropped int
	Err     string // why it did not finish (timeout, cancelled, skipped as DOWN); "" when it did
}

// Group is the hosts whose runs gave the same: the same lines, the same
// exit status, the same error.
type Group struct {
	Hosts  []string `json:"hosts"` // sorted
	Label  string   `json:"label"` // the hosts folded as a node set: web[01-05,07] (6)
	Exit   int      `json:"exit"`
	Output []string `json:"output"`
	// Dropped is how many earlier lines of each host's output were not
	// kept (the ring's bound, HostLines).
	Dropped int    `json:"dropped,omitempty"`
	Err     string `json:"error,omitempty"`
}

// GroupOutputs folds identical runs into one group each, the way clush -b
// does: the largest group first, then by host; each group's hosts folded
// into a node set (FoldNames).
func GroupOutputs(outs []HostOutput) []Group {
	byKey := map[string]*Group{}
	var order []*Group
	for i := range outs {
		o := &outs[i]
		k := fmt.Sprintf("%d\x00%d\x00%s\x00%s", o.Exit, o.Dropped, o.Err, strings.Join(o.Output, "\n"))
		g, ok := byKey[k]
		if !ok {
			g = &Group{Exit: o.Exit, Output: o.Output, Dropped: o.Dropped, Err: o.Err}
			byKey[k] = g
			order = append(order, g)
		}
		g.Hosts = append(g.Hosts, o.Host)
	}
	out := make([]Group, 0, len(order))
	for _, g := range order {
		sort.Strings(g.Hosts)
		g.Label = fmt.Sprintf("%s (%d)", FoldNames(g.Hosts), len(g.Hosts))
		out = append(out, *g)
	}
	sort.SliceStable(out, func(a, b int) bool {
		if len(out[a].Hosts) != len(out[b].Hosts) {
			return len(out[a].Hosts) > len(out[b].Hosts)
		}
		return out[a].Hosts[0] < out[b].Hosts[0]
	})
	return out
}

// FoldNames writes host names as a ClusterShell node set, the inverse of
// a range: web01 web02 web03 web07 db1 → db1,web[01-03,07]. Names that
// end in a number fold by prefix (zero-padded ones by width too); the
// others stand alone.
func FoldNames(names []string) string {
	type numbered struct {
		n      int
		digits string
	}
	// Per prefix, the width its zero-padded numbers have (web01: 2): a
	// number of that width folds with them (web10), any other unpadded
	// one with the unpadded (host9, host10).
	split := func(name string) (prefix, digits string) {
		i := len(name)
		for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
			i--
		}
		return name[:i], name[i:]
	}
	padded := map[string]int{}
	for _, name := range names {
		if p, d := split(name); len(d) > 1 && d[0] == '0' {
			padded[p] = len(d)
		}
	}
	byKey := map[string][]numbered{}
	var keys, parts []string
	for _, name := range names {
		prefix, digits := split(name)
		if digits == "" || len(digits) > 9 {
			parts = append(parts, name)
			continue
		}
		width := 0
		if w := padded[prefix]; w == len(digits) {
			width = w
		} else if len(digits) > 1 && digits[0] == '0' {
			width = len(digits)
		}
		n, _ := strconv.Atoi(digits)
		key := prefix + "\x00" + strconv.Itoa(width)
		if _, ok := byKey[key]; !ok {
			keys = append(keys, key)
		}
		byKey[key] = append(byKey[key], numbered{n, digits})
	}
	for _, key := range keys {
		prefix, w, _ := strings.Cut(key, "\x00")
		width, _ := strconv.Atoi(w)
		ns := byKey[key]
		if len(ns) == 1 {
			parts = append(parts, prefix+ns[0].digits)
			continue
		}
		sort.Slice(ns, func(a, b int) bool { return ns[a].n < ns[b].n })
		var runs []string
		for i := 0; i < len(ns); {
			j := i
			for j+1 < len(ns) && ns[j+1].n == ns[j].n+1 {
				j++
			}
			if j == i {
				runs = append(runs, ns[i].digits)
			} else {
				runs = append(runs, fmt.Sprintf("%0*d-%0*d", width, ns[i].n, width, ns[j].n))
			}
			i = j + 1
		}
		parts = append(parts, prefix+"["+strings.Join(runs, ",")+"]")
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// NodeSet names hosts for a title: one alone by its name, several folded
// with their count (web[01-04] (4)).
func NodeSet(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return fmt.Sprintf("%s (%d)", FoldNames(names), len(names))
}
