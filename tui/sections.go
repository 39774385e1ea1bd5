package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/opsdeck/opsdeck/fleet"
)

// sections render the parts of a host's detail. When the host's data is
// old (DOWN, STALE, SLOW) every value is dimmed and no check shows a
// verdict: "◌ old", never a green OK over last week's numbers.
type sections struct {
	c    *common
	r    *hostRow
	item int  // the selected service or backup
	old  bool // the data is not current
}

// verdict is a check's state label, or "◌ old" when the data is old.
func (x sections) verdict(c fleet.Check) string {
	if x.old {
		return x.c.st.Status.Stale.Render("◌ old")
	}
	label := stateLabel(x.c.st, c.State)
	if c.State == fleet.Unknown {
		label += " " + x.c.st.Detail.Muted.Render(c.Reason)
	}
	return label
}

// text formats a line's values, dimmed when the data is old.
func (x sections) text(format string, args ...any) string {
	l := fmt.Sprintf(format, args...)
	if x.old {
		l = x.c.st.Detail.Muted.Render(l)
	}
	return l
}

// row writes a line of values.
func (x sections) row(b *strings.Builder, format string, args ...any) {
	b.WriteString(x.text(format, args...) + "\n")
}

// limit is a check's thresholds; without a check (old data), the host's.
func limit(c fleet.Check, ok bool, p fleet.Pair) fleet.Pair {
	if ok && c.Limit != (fleet.Pair{}) { // a check read back from a poller may not carry its limits
		return c.Limit
	}
	return p
}

// levels are a pair's warn and crit as the detail prints them: "-" for
// one not known (a host known only from its poller's series, whose
// thresholds are read only when a figure is over one).
func levels(p fleet.Pair, unit string) (warn, crit string) {
	if p == (fleet.Pair{}) {
		return "-", "-"
	}
	return fleet.FormatValue(p.Warn, unit), fleet.FormatValue(p.Crit, unit)
}

func (x sections) resources(b *strings.Builder) {
	st, s, l := x.c.st, x.r.status.Last, x.r.status.Host.Limits
	b.WriteString(st.Detail.Section.Render("Resources") + "\n")
	b.WriteString(st.Table.Header.Render(fmt.Sprintf("%-9s %-26s %6s %6s %6s  %s", "", "", "value", "warn", "crit", "state")) + "\n")
	metric := func(name, detail string, check fleet.CheckKind, known bool, v float64, p fleet.Pair, unit string) {
		c, ok := checkFor(x.r.health, check, "")
		p = limit(c, ok, p)
		val := "-"
		if known && (x.old || c.State != fleet.Unknown) {
			val = fleet.FormatValue(v, unit)
		}
		state := ""
		if ok || x.old {
			state = x.verdict(c)
		}
		if p.Off {
			x.row(b, "%-9s %-26s %6s %6s %6s  %s", name, detail, val, "off", "off", "")
			return
		}
		warn, crit := levels(p, unit)
		b.WriteString(x.text("%-9s %-26s %6s %6s %6s", name, detail, val, warn, crit) + "  " + state + "\n")
	}
	cores, mem, swap, loadDetail := fmt.Sprintf("%d cores", s.Cores), fmt.Sprintf("%s / %s", fleet.FormatBytes(s.MemUsed), fleet.FormatBytes(s.MemTotal)), "none", "-"
	if s.SwapTotal > 0 {
		swap = fmt.Sprintf("%s / %s (%s)", fleet.FormatBytes(s.SwapUsed), fleet.FormatBytes(s.SwapTotal), pct(s.SwapPercent()))
	}
	if s.Known(fleet.MetricLoad) {
		loadDetail = fmt.Sprintf("%.2f %.2f %.2f (1/5/15 min)", s.Load1, s.Load5, s.Load15)
	}
	if s.Relative { // read back from its poller: percentages, no sizes
		cores, mem, swap, loadDetail = "(from its poller)", "", "not exported", fmt.Sprintf("%.2f per core", s.LoadPerCore())
	}
	metric("cpu", cores, fleet.KindCPU, s.Known(fleet.MetricCPU), s.CPU, l.CPU, "%")
	metric("memory", mem, fleet.KindMemory, s.Known(fleet.MetricMemory), s.MemPercent(), l.Memory, "%")
	x.row(b, "%-9s %-26s", "swap", swap)
	metric("load/core", loadDetail, fleet.KindLoad, s.Known(fleet.MetricLoad) && s.Cores > 0, s.LoadPerCore(), l.Load, "")
	if len(s.PerCore) > 0 && s.Known(fleet.MetricCPU) {
		cores := make([]string, len(s.PerCore))
		for i, v := range s.PerCore {
			cores[i] = pct(v)
		}
		x.row(b, "%s %s", "per core", strings.Join(cores, " "))
	}
	b.WriteString("\n")
}

func (x sections) disks(b *strings.Builder) {
	st, s := x.c.st, x.r.status.Last
	b.WriteString(st.Detail.Section.Render("Disks") + "\n")
	if !s.Known(fleet.MetricDisk) {
		b.WriteString(stateLabel(st, fleet.Unknown) + " " + s.Unknown[fleet.MetricDisk] + "\n\n")
		return
	}
	w := 6
	for _, d := range s.Disks {
		w = max(w, min(len(d.Mount), 30))
	}
	b.WriteString(st.Table.Header.Render(fmt.Sprintf("%-*s %-6s %22s %5s %6s %6s %6s %7s  %s", w, "mount", "fs", "used / size", "use", "warn", "crit", "inodes", "full in", "state")) + "\n")
	waiting := ""
	for _, d := range s.Disks {
		c, ok := checkFor(x.r.health, fleet.KindDisk, d.Mount)
		if d.Err != "" {
			fmt.Fprintf(b, "%s %s %s\n", fit(d.Mount, w), stateLabel(st, fleet.Unknown), st.Detail.Muted.Render(fleet.Sanitize(d.Err, 120)))
			continue
		}
		p := limit(c, ok, x.r.status.Host.Limits.Disk)
		used := fmt.Sprintf("%s / %s", fleet.FormatBytes(d.Used), fleet.FormatBytes(d.Used+d.Free))
		if s.Relative {
			used = "-"
		}
		inodes := "-"
		if d.Inodes > 0 {
			inodes = pct(d.InodePercent())
		}
		// The row's verdict is the worse of its space and its inodes.
		ic, iok := checkFor(x.r.health, fleet.KindInodes, d.Mount)
		verdict := c
		if iok && ic.State > c.State {
			verdict = ic
		}
		full, why := x.fullIn(d.Mount)
		if why != "" && waiting == "" {
			waiting = why
		}
		warn, crit := levels(p, "%")
		line := x.text("%s %-6s %22s %5s %6s %6s %6s %7s", fit(d.Mount, w), fit(d.FSType, 6), used, pct(d.UsedPercent()),
			warn, crit, inodes, full) + "  " + x.verdict(verdict)
		if verdict.State >= fleet.Warn && !x.old {
			line += " " + stateStyle(st, verdict.State).Render(verdict.Reason)
		}
		b.WriteString(line + "\n")
	}
	if waiting != "" {
		b.WriteString(st.Detail.Muted.Render("full in: "+waiting) + "\n")
	}
	b.WriteString("\n")
}

// fullIn is a mount's forecast for its column ("~5h"; "-" when it is not
// filling or the data is old; "…" while its history is too short, and
// why).
func (x sections) fullIn(mount string) (string, string) {
	f, ok := x.r.status.Fill.Of(mount)
	switch {
	case x.old || !ok || x.r.status.Host.Limits.Full.Off:
		return "-", ""
	case !f.Space.Ready:
		return "…", f.Space.Why
	case !f.Space.Filling:
		return "-", ""
	}
	return "~" + fleet.FormatLeft(f.Space.FullIn), ""
}

func (x sections) history(b *strings.Builder) {
	st := x.c.st
	cpu, mem := x.c.data.store.History(x.r.status.Host.Name)
	b.WriteString(st.Detail.Section.Render("History") + " " + st.Detail.Muted.Render(
		fmt.Sprintf("(last %s, every %s)", plural(max(len(cpu), len(mem)), "poll"), x.r.status.Host.Interval())) + "\n")
	width := max(10, min(fleet.HistoryLen, x.c.width-20))
	spark := func(name string, vals []float64) {
		last := "-"
		if len(vals) > 0 {
			last = pct(vals[len(vals)-1])
		}
		fmt.Fprintf(b, "%-7s %5s %s\n", name, last, st.Header.Title.Render(sparkline(vals, width)))
	}
	spark("cpu", cpu)
	spark("memory", mem)
}

// firstKey is a binding's first key as help shows it: "↑" of "↑/k".
func firstKey(b key.Binding) string {
	k, _, _ := strings.Cut(b.Help().Key, "/")
	return k
}

// heading writes a section's title, with the keys that act on it when
// they are on.
func (x sections) heading(b *strings.Builder, name string, keysOn bool, keys string) {
	b.WriteString(x.c.st.Detail.Section.Render(name))
	if keysOn {
		b.WriteString(" " + x.c.st.Detail.Muted.Render("("+keys+")"))
	}
	b.WriteString("\n")
}

func (x sections) cursor(i int) string {
	if i == x.item {
		return x.c.st.Header.Title.Render("▶ ")
	}
	return "  "
}

// services lists the host's services; the selected one is what r restarts.
func (x sections) services(b *strings.Builder) {
	h, st, k := x.r.status.Host, x.c.st, x.c.keys
	if len(h.Services) == 0 {
		return
	}
	x.heading(b, "Services", k.Restart.Enabled(), firstKey(k.Up)+"/"+firstKey(k.Down)+" select, "+k.Restart.Help().Key+" restarts")
	b.WriteString(st.Table.Header.Render(fmt.Sprintf("  %-14s %-10s %-12s %7s %6s %8s %-5s  %s", "name", "kind", "state", "pid", "up", "restarts", "boot", "check")) + "\n")
	byName := map[string]*fleet.ServiceStatus{}
	if x.r.status.Last != nil {
		for i := range x.r.status.Last.Services {
			byName[x.r.status.Last.Services[i].Name] = &x.r.status.Last.Services[i]
		}
	}
	for i, cfg := range h.Services {
		sv := byName[cfg.Name]
		if sv == nil {
			fmt.Fprintf(b, "%s%-14s %-10s %s\n", x.cursor(i), fit(cfg.Name, 14), cfg.Kind, st.Detail.Muted.Render("no status yet"))
			continue
		}
		c := fleet.ServiceCheck(sv)
		state, pid, up, restarts, boot := sv.State, "-", "-", "-", "-"
		if sv.Err != "" {
			state = "?"
		}
		if sv.PID > 0 {
			pid = fmt.Sprint(sv.PID)
		}
		if !sv.Since.IsZero() && sv.Running {
			up = formatUptime(x.c.now.Sub(sv.Since))
		}
		if sv.Restarts >= 0 {
			restarts = fmt.Sprint(sv.Restarts)
			if sv.Recent > 0 {
				restarts += fmt.Sprintf(" (%d/10m)", sv.Recent)
			}
		}
		if sv.Enabled != nil {
			boot = map[bool]string{true: "yes", false: "NO"}[*sv.Enabled]
		}
		b.WriteString(x.cursor(i))
		b.WriteString(x.text("%-14s %-10s %-12s %7s %6s %8s %-5s", fit(cfg.Name, 14), cfg.Kind, fit(state, 12), pid, up, restarts, boot) + "  " + x.verdict(c))
		if c.State != fleet.OK && !x.old {
			b.WriteString(" " + stateStyle(st, c.State).Render(strings.TrimPrefix(c.Reason, "service "+cfg.Name+" ")))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// security lists the security checklist and the certificates.
func (x sections) security(b *strings.Builder) {
	st := x.c.st
	var rows []fleet.Check
	for _, c := range x.r.health.Checks {
		if securityCheck(c) {
			rows = append(rows, c)
		}
	}
	if len(rows) == 0 {
		return
	}
	title := st.Detail.Section.Render("Security")
	if s := x.r.status.Last.Security; s != nil {
		title += " " + st.Detail.Muted.Render("(checked "+fleet.FormatAge(x.c.now.Sub(s.CheckedAt))+" ago)")
	}
	b.WriteString(title + "\n")
	for _, c := range rows {
		label := stateLabel(st, c.State)
		if c.NotApplicable { // not a verdict: nothing to judge here
			label = st.Detail.Muted.Render("– n/a")
		}
		fmt.Fprintf(b, "  %-16s %s %s\n", fit(c.Name, 16), fit(label, 9), c.Reason)
	}
	b.WriteString("\n")
}
