package tui

import (
	"sort"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// sortOrder is one way to sort the table: by a column, highest first
// (worst first for STATE), by name for HOST.
type sortOrder struct {
	name   string // as shown and kept in ui.json: "worst first", "name", "cpu"
	column string // the column's title, marked in the header
	key    func(r *hostRow, now time.Time) (float64, bool)
}

// sortOrders are the table's orders, worst first (the default: a wall
// screen shows what is wrong at the top), then by name, then by each
// sortable column shown, left to right.
func sortOrders(d *fleetData) []sortOrder {
	out := []sortOrder{{name: "worst first", column: "STATE", key: stateKey}, {name: "name", column: "HOST"}}
	for _, c := range columns {
		if c.key == nil || c.title == "STATE" || (c.show != nil && !c.show(d)) {
			continue
		}
		out = append(out, sortOrder{name: strings.ToLower(c.title), column: c.title, key: c.key})
	}
	return out
}

func stateKey(r *hostRow, _ time.Time) (float64, bool) { return float64(r.health.State), true }

// sortKey is a row's value in a sort order.
type sortKey struct {
	v  float64
	ok bool
}

// sortRows orders the rows by o, highest first, rows without a value last,
// ties by name. keys is scratch space, one per host, kept by the caller
// so a re-sort allocates nothing.
func sortRows(rows []int, hosts []hostRow, o sortOrder, now time.Time, keys []sortKey) {
	name := func(i int) string { return hosts[i].status.Host.Name }
	if o.key == nil {
		sort.SliceStable(rows, func(a, b int) bool { return name(rows[a]) < name(rows[b]) })
		return
	}
	for _, i := range rows {
		v, ok := o.key(&hosts[i], now)
		keys[i] = sortKey{v, ok}
	}
	sort.SliceStable(rows, func(a, b int) bool {
		ka, kb := keys[rows[a]], keys[rows[b]]
		switch {
		case ka.ok != kb.ok:
			return ka.ok
		case ka.v != kb.v:
			return ka.v > kb.v
		}
		return name(rows[a]) < name(rows[b])
	})
}

// hostFilter is what / typed: words that must all match. A word matches a
// host's name, env or a tag (substring, any case), or its state when it is
// a state's name (crit, down, ok…); "!" before a word negates it.
type hostFilter []filterWord

type filterWord struct {
	text  string
	state fleet.State
	isSt  bool
	not   bool
}

func parseFilter(q string) hostFilter {
	var f hostFilter
	for _, w := range strings.Fields(strings.ToLower(q)) {
		fw := filterWord{}
		if strings.HasPrefix(w, "!") && len(w) > 1 {
			fw.not, w = true, w[1:]
		}
		fw.text = w
		if s, err := fleet.ParseState(w); err == nil {
			fw.state, fw.isSt = s, true
		}
		f = append(f, fw)
	}
	return f
}

func (f hostFilter) match(r *hostRow) bool {
	for _, w := range f {
		if w.wordMatch(r) == w.not {
			return false
		}
	}
	return true
}

func (w filterWord) wordMatch(r *hostRow) bool {
	if w.isSt {
		return r.health.State == w.state
	}
	h := r.status.Host
	if strings.Contains(strings.ToLower(h.Name), w.text) || strings.Contains(strings.ToLower(h.Env), w.text) {
		return true
	}
	for _, t := range h.Tags {
		if strings.Contains(strings.ToLower(t), w.text) {
			return true
		}
	}
	return false
}
