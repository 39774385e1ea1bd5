package tui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/fleet"
)

// An acknowledgement or a silence changes how a problem is drawn and
// sorted, never its state: it is said beside it, and the header counts it.

// onCallView is the on-call log as last read (nil without one).
func (c *common) onCallView() *oncall.Board {
	if c.opt.OnCall == nil {
		return nil
	}
	return c.opt.OnCall.View()
}

// onCallGen changes when the on-call view does (a new read).
func (c *common) onCallGen() int {
	if c.opt.OnCall == nil {
		return 0
	}
	return c.opt.OnCall.Gen()
}

// handling is how far a problem is taken care of: nobody yet, somebody
// acknowledged it, a silence covers it.
type handling int

const (
	unhandled handling = iota
	acked
	silenced
)

func handledOf(c *common, h *fleet.Host, key string) (handling, *oncall.Ack, *oncall.Silence) {
	v := c.onCallView()
	if s, ok := v.Silenced(h, key, c.now); ok {
		return silenced, nil, s
	}
	if a, ok := v.Ack(h.Name, key); ok {
		return acked, a, nil
	}
	return unhandled, nil, nil
}

// handledLine says who acknowledged or silenced a host's check, "" when
// nobody did: ✓ ack alice 12m: cleaning /var/log, 🔇 until 04:00 alice:
// kernel upgrade.
func handledLine(c *common, h *fleet.Host, key string) string {
	st := c.st
	switch how, a, s := handledOf(c, h, key); how {
	case acked:
		line := fmt.Sprintf("✓ ack %s %s: %s", actions.UserOf(a.By), fleet.FormatAge(c.now.Sub(a.At)), fleet.Sanitize(a.Note, oncall.MaxNote))
		if c.now.Sub(a.At) > oncall.AckOld {
			return st.Status.Warn.Render(line + " (old: still on it?)")
		}
		return st.Detail.Muted.Render(line)
	case silenced:
		if s.Window != "" { // the config's: nobody to name
			return st.Detail.Muted.Render("🔇 " + s.Says(c.now, c.opt.Location))
		}
		return st.Detail.Muted.Render(fmt.Sprintf("🔇 until %s %s: %s", s.Until.In(c.opt.Location).Format("15:04"), actions.UserOf(s.By), fleet.Sanitize(s.Note, oncall.MaxNote)))
	}
	return ""
}

// problemItem is one line of the problems pane: a problem, or the same
// problem on several hosts.
type problemItem struct {
	key    string // the group's: check key, state, cause
	xs     []problem
	how    handling  // the least handled of its problems
	behind []problem // hosts UNREACHABLE behind its DOWN host(s)
}

func (it problemItem) hosts() []*fleet.Host {
	out := make([]*fleet.Host, len(it.xs))
	for i, x := range it.xs {
		out[i] = x.row.status.Host
	}
	return out
}

// groupProblems folds the problems several hosts share (same check key,
// state and cause: the same finding, each host's figures aside) into one
// item when group is set, and sorts the items: worst state first, the
// unhandled before the acknowledged before the silenced, the newest first.
func groupProblems(c *common, list []problem, group bool, since func(problem) time.Time) []problemItem {
	var items []problemItem
	var behind []problem
	at := map[string]int{}
	for _, x := range list {
		if group && unreachable(x) {
			behind = append(behind, x)
			continue
		}
		k := fmt.Sprintf("%s\x00%d\x00%d", x.check.Key(), x.check.State, x.check.Cause)
		how, _, _ := handledOf(c, x.row.status.Host, x.check.Key())
		x.how = how
		if i, ok := at[k]; ok && group {
			items[i].xs = append(items[i].xs, x)
			items[i].how = min(items[i].how, how)
			continue
		}
		at[k] = len(items)
		items = append(items, problemItem{key: k, xs: []problem{x}, how: how})
	}
	items = hangBehind(items, behind)
	for _, it := range items {
		sort.SliceStable(it.xs, func(a, b int) bool { return it.xs[a].how < it.xs[b].how })
	}
	newest := func(it problemItem) time.Time {
		var t time.Time
		for _, x := range it.xs {
			if s := since(x); s.After(t) {
				t = s
			}
		}
		return t
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		switch {
		case a.xs[0].check.State != b.xs[0].check.State:
			return a.xs[0].check.State > b.xs[0].check.State
		case a.how != b.how:
			return a.how < b.how
		}
		return newest(a).After(newest(b))
	})
	return items
}

// writeGroup writes a problem shared by several hosts: its check on N
// hosts, the hosts folded, one host's reason; unfolded, each host.
func writeGroup(b *strings.Builder, c *common, it problemItem, open bool, width int) {
	st, x := c.st, it.xs[0]
	names := make([]string, len(it.xs))
	for i, p := range it.xs {
		names[i] = p.row.status.Host.Name
	}
	sort.Strings(names)
	head := fmt.Sprintf("%s %s on %d hosts: %s", stateLabel(st, x.check.State), x.check.Name, len(it.xs), actions.FoldNames(names))
	wrap := lipgloss.NewStyle().Width(max(20, width-4))
	b.WriteString(fit(head, width) + "\n")
	if !open {
		b.WriteString(indent(wrap.Render(fleet.Sanitize(x.check.Reason, 1000)+st.Detail.Muted.Render(" (on "+x.row.status.Host.Name+"; "+c.keys.Open.Help().Key+" shows each)")), "    ") + "\n")
		if todo := remedy(c, &x.row.status, x.check); todo != "" {
			b.WriteString(indent(wrap.Render(st.Status.Warn.Render("→ ")+todo), "    ") + "\n")
		}
		n, first := 0, ""
		for _, p := range it.xs {
			if how, _, _ := handledOf(c, p.row.status.Host, p.check.Key()); how != unhandled {
				if n++; first == "" {
					first = handledLine(c, p.row.status.Host, p.check.Key())
				}
			}
		}
		if n > 0 {
			b.WriteString(indent(wrap.Render(first+st.Detail.Muted.Render(fmt.Sprintf(" (%d of %d hosts)", n, len(it.xs)))), "    ") + "\n")
		}
		b.WriteString("\n")
		return
	}
	b.WriteString("\n")
	for _, p := range it.xs {
		var one strings.Builder
		writeProblem(&one, c, p, width-2)
		b.WriteString(indent(strings.TrimRight(one.String(), "\n"), "  ") + "\n")
	}
	b.WriteString("\n")
}

// countHandled counts, by state, the hosts whose every problem is
// acknowledged (acked) or else silenced too, and the problems that are
// either: the header says them, so suppression never hides the real
// picture.
func countHandled(c *common) (acks, silences map[fleet.State]int, problems int) {
	v := c.onCallView()
	if v == nil || len(v.Acks()) == 0 && len(v.Silences(c.now)) == 0 {
		return nil, nil, 0
	}
	acks, silences = map[fleet.State]int{}, map[fleet.State]int{}
	for i := range c.data.hosts {
		r := &c.data.hosts[i]
		ps := hostProblems(r)
		n, least := 0, silenced
		for _, p := range ps {
			how, _, _ := handledOf(c, r.status.Host, p.Key())
			if how != unhandled {
				n++
			}
			least = min(least, how)
		}
		problems += n
		switch {
		case n == 0 || n < len(ps) || r.health.Polling:
		case least == acked:
			acks[r.health.State]++
		default:
			silences[r.health.State]++
		}
	}
	return acks, silences, problems
}
