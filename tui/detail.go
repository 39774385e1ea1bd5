package tui

import (
	"fmt"
	"path"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	"github.com/opsdeck/opsdeck/fleet"
)

// viewportKeys scrolls the detail view with the same keys as the table.
func viewportKeys(k KeyMap) viewport.KeyMap {
	return viewport.KeyMap{
		Up:       k.Up,
		Down:     k.Down,
		PageUp:   k.PageUp,
		PageDown: k.PageDown,
	}
}

// detailHelp lists the keys that apply to host h: restart only with
// services, snapshot and drill only with backups.
func detailHelp(k KeyMap, h *fleet.Host) []key.Binding {
	out := []key.Binding{k.Back}
	if h != nil && len(h.Services) > 0 {
		out = append(out, k.Restart)
	}
	if h != nil && len(h.Backups) > 0 {
		out = append(out, k.Snapshot, k.Drill)
	}
	return append(out, k.Refresh, k.Audit)
}

func panelHelp(k KeyMap) []key.Binding {
	return []key.Binding{k.Back, k.Cancel, k.Audit}
}

// renderDetail rebuilds the detail view's content for the selected host.
func (m *Model) renderDetail() {
	r, ok := m.selected()
	if !ok {
		m.mode = modeFleet
		return
	}
	m.detail.SetContent(m.detailView(r))
}

func (m *Model) detailView(r *hostRow) string {
	st, h, s := m.st, r.status.Host, r.status.Last
	var b strings.Builder
	line := func(parts ...string) {
		b.WriteString(strings.Join(parts, " "))
		b.WriteString("\n")
	}
	label := func(l string) string { return st.Detail.Label.Render(l) }
	title := st.Detail.Title.Render(h.Name)
	if h.Prod() {
		title = st.Prod.Band.Render("┃") + title + " " + st.Prod.Label.Render(" PROD ")
	} else if h.Env != "" {
		title += " " + st.Detail.Muted.Render(h.Env)
	}
	line(title, stateLabel(st, r.health.State), stateStyle(st, r.health.State).Render(r.health.Reason))

	conn := []string{label("address"), m.addressOf(h)}
	if via := h.Resolved.Via; via != "" {
		conn = append(conn, label("via"), via)
	} else if h.Jump != "" {
		conn = append(conn, label("via"), h.Jump)
	}
	conn = append(conn, label("poll every"), h.Interval().String())
	if len(h.Tags) > 0 {
		conn = append(conn, label("tags"), strings.Join(h.Tags, ","))
	}
	line(conn...)
	status := []string{label("connection"), connState(&r.status)}
	if s != nil {
		status = append(status, label("updated"), fleet.FormatAge(m.now.Sub(s.At))+" ago")
	}
	if r.status.RTT > 0 {
		status = append(status, label("poll took"), r.status.RTT.Round(1e6).String())
	}
	line(status...)
	if r.status.Err != "" {
		line(label("last error"), st.Status.Down.Render(r.status.Err))
	}
	if r.status.Note != "" {
		line(label("note"), r.status.Note)
	}
	if s == nil {
		return b.String()
	}
	if r.health.State.Old() {
		line(st.Status.Stale.Render(fmt.Sprintf("The values below are the last good data, %s old: they are not current.",
			fleet.FormatAge(m.now.Sub(s.At)))))
	}
	if s.Known(fleet.MetricUptime) {
		up := label("uptime") + " " + formatUptime(s.Uptime)
		if !s.BootTime.IsZero() {
			up += " " + label("since") + " " + s.BootTime.Local().Format("2006-01-02 15:04")
		}
		line(up)
	}
	b.WriteString("\n")
	m.servicesSection(&b, r)
	m.backupsSection(&b, r)
	m.securitySection(&b, r)
	m.resourcesSection(&b, r)
	m.disksSection(&b, r)
	m.historySection(&b, r)
	return strings.TrimRight(b.String(), "\n")
}

func (m *Model) addressOf(h *fleet.Host) string {
	if h.Local() {
		return "local (this machine)"
	}
	return h.Endpoint()
}

func connState(s *fleet.HostStatus) string {
	switch {
	case s.Note != "" && s.Last == nil:
		return "not polled"
	case s.Err != "" && s.Fails > 0:
		return fmt.Sprintf("failing (%d in a row)", s.Fails)
	case s.Last != nil:
		if s.Host.Local() {
			return "in-process"
		}
		return "connected"
	}
	return "waiting for first poll"
}

// checkFor finds the evaluated check of a metric, if any.
func checkFor(h fleet.Health, name string) (fleet.Check, bool) {
	for _, c := range h.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return fleet.Check{}, false
}

func (m *Model) resourcesSection(b *strings.Builder, r *hostRow) {
	st, s := m.st, r.status.Last
	b.WriteString(st.Detail.Section.Render("Resources") + "\n")
	hdr := fmt.Sprintf("%-9s %-26s %6s %6s %6s  %s", "", "", "value", "warn", "crit", "state")
	b.WriteString(st.Table.Header.Render(hdr) + "\n")
	row := func(name, detail string, c fleet.Check, ok bool) {
		val, warn, crit, state := "-", "-", "-", ""
		if ok {
			warn, crit = fleet.FormatValue(c.Limit.Warn, c.Unit), fleet.FormatValue(c.Limit.Crit, c.Unit)
			if c.State == fleet.Unknown {
				state = stateLabel(st, c.State) + " " + st.Detail.Muted.Render(c.Reason)
			} else {
				val = fleet.FormatValue(c.Value, c.Unit)
				state = stateLabel(st, c.State)
			}
		}
		fmt.Fprintf(b, "%-9s %-26s %6s %6s %6s  %s\n", name, detail, val, warn, crit, state)
	}
	cpuC, cpuOK := checkFor(r.health, "cpu")
	row("cpu", fmt.Sprintf("%d cores", s.Cores), cpuC, cpuOK)
	memC, memOK := checkFor(r.health, "memory")
	row("memory", fmt.Sprintf("%s / %s", fleet.FormatBytes(s.MemUsed), fleet.FormatBytes(s.MemTotal)), memC, memOK)
	swap := "none"
	if s.SwapTotal > 0 {
		swap = fmt.Sprintf("%s / %s (%s)", fleet.FormatBytes(s.SwapUsed), fleet.FormatBytes(s.SwapTotal), pct(s.SwapPercent()))
	}
	fmt.Fprintf(b, "%-9s %-26s\n", "swap", swap)
	loadC, loadOK := checkFor(r.health, "load")
	loadDetail := "-"
	if s.Known(fleet.MetricLoad) {
		loadDetail = fmt.Sprintf("%.2f %.2f %.2f (1/5/15 min)", s.Load1, s.Load5, s.Load15)
	}
	row("load/core", loadDetail, loadC, loadOK)
	if len(s.PerCore) > 0 && s.Known(fleet.MetricCPU) {
		cores := make([]string, len(s.PerCore))
		for i, v := range s.PerCore {
			cores[i] = pct(v)
		}
		b.WriteString(st.Detail.Label.Render("per core") + " " + strings.Join(cores, " ") + "\n")
	}
	b.WriteString("\n")
}

func (m *Model) disksSection(b *strings.Builder, r *hostRow) {
	st, s := m.st, r.status.Last
	b.WriteString(st.Detail.Section.Render("Disks") + "\n")
	if !s.Known(fleet.MetricDisk) {
		b.WriteString(stateLabel(st, fleet.Unknown) + " " + s.Unknown[fleet.MetricDisk] + "\n\n")
		return
	}
	w := 6
	for _, d := range s.Disks {
		w = max(w, min(len(d.Mount), 30))
	}
	b.WriteString(st.Table.Header.Render(fmt.Sprintf("%-*s %-6s %22s %5s %6s %6s  %s", w, "mount", "fs", "used / size", "use", "warn", "crit", "state")) + "\n")
	for _, d := range s.Disks {
		c, _ := checkFor(r.health, "disk "+d.Mount)
		if d.Err != "" {
			fmt.Fprintf(b, "%s %s %s\n", fit(d.Mount, w), stateLabel(st, fleet.Unknown), st.Detail.Muted.Render(fleet.Sanitize(d.Err, 120)))
			continue
		}
		used := fmt.Sprintf("%s / %s", fleet.FormatBytes(d.Used), fleet.FormatBytes(d.Used+d.Free))
		fmt.Fprintf(b, "%s %-6s %22s %5s %6s %6s  %s\n", fit(d.Mount, w), fit(d.FSType, 6), used, pct(d.UsedPercent()),
			fleet.FormatValue(c.Limit.Warn, "%"), fleet.FormatValue(c.Limit.Crit, "%"), stateLabel(st, c.State))
	}
	b.WriteString("\n")
}

func (m *Model) historySection(b *strings.Builder, r *hostRow) {
	st := m.st
	cpu, mem := m.opt.Store.History(r.status.Host.Name)
	b.WriteString(st.Detail.Section.Render("History") + " " + st.Detail.Muted.Render(
		fmt.Sprintf("(last %s, every %s)", plural(max(len(cpu), len(mem)), "poll"), r.status.Host.Interval())) + "\n")
	width := max(10, min(fleet.HistoryLen, m.width-20))
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

// servicesSection lists the host's services; the selected one is what r
// restarts.
func (m *Model) servicesSection(b *strings.Builder, r *hostRow) {
	h, st := r.status.Host, m.st
	if len(h.Services) == 0 {
		return
	}
	title := st.Detail.Section.Render("Services")
	if m.keys.Restart.Enabled() {
		title += " " + st.Detail.Muted.Render("(↑/↓ select, "+m.keys.Restart.Help().Key+" restarts)")
	}
	b.WriteString(title + "\n")
	b.WriteString(st.Table.Header.Render(fmt.Sprintf("  %-14s %-10s %-12s %7s %6s %8s %-5s  %s", "name", "kind", "state", "pid", "up", "restarts", "boot", "check")) + "\n")
	byName := map[string]*fleet.ServiceStatus{}
	if r.status.Last != nil {
		for i := range r.status.Last.Services {
			byName[r.status.Last.Services[i].Name] = &r.status.Last.Services[i]
		}
	}
	for i, cfg := range h.Services {
		cursor := "  "
		if i == m.svcCursor {
			cursor = st.Header.Title.Render("▶ ")
		}
		sv := byName[cfg.Name]
		if sv == nil {
			fmt.Fprintf(b, "%s%-14s %-10s %s\n", cursor, fit(cfg.Name, 14), cfg.Kind, st.Detail.Muted.Render("no status yet"))
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
			up = formatUptime(m.now.Sub(sv.Since))
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
		line := fmt.Sprintf("%s%-14s %-10s %-12s %7s %6s %8s %-5s  %s", cursor, fit(cfg.Name, 14), cfg.Kind, fit(state, 12), pid, up, restarts, boot,
			stateLabel(st, c.State))
		if c.State != fleet.OK {
			line += " " + stateStyle(st, c.State).Render(strings.TrimPrefix(c.Reason, "service "+cfg.Name+" "))
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("\n")
}

// backupsSection lists the host's backups: newest artefact, its age and
// size, the last drill; the selected one is what n and d act on.
func (m *Model) backupsSection(b *strings.Builder, r *hostRow) {
	h, st := r.status.Host, m.st
	if len(h.Backups) == 0 {
		return
	}
	title := st.Detail.Section.Render("Backups")
	if m.keys.Drill.Enabled() {
		title += " " + st.Detail.Muted.Render("("+m.keys.Snapshot.Help().Key+" snapshot, "+m.keys.Drill.Help().Key+" restore drill)")
	}
	b.WriteString(title + "\n")
	b.WriteString(st.Table.Header.Render(fmt.Sprintf("  %-14s %-7s %-24s %5s %9s  %-14s  %s", "name", "kind", "newest", "age", "size", "last drill", "check")) + "\n")
	byName := map[string]*fleet.BackupStatus{}
	if r.status.Last != nil {
		for i := range r.status.Last.Backups {
			byName[r.status.Last.Backups[i].Name] = &r.status.Last.Backups[i]
		}
	}
	for i := range h.Backups {
		cfg := &h.Backups[i]
		cursor := "  "
		if len(h.Services)+i == m.svcCursor {
			cursor = st.Header.Title.Render("▶ ")
		}
		bs := byName[cfg.Name]
		newest, age, size := "-", "-", "-"
		if bs != nil && !bs.NewestAt.IsZero() {
			newest = path.Base(bs.Newest)
			age = fleet.FormatAge(m.now.Sub(bs.NewestAt))
			if bs.Size >= 0 {
				size = fleet.FormatBytes(uint64(bs.Size))
			}
		}
		drill := "never"
		sum := r.status.Drills[cfg.Name]
		if d := sum.Last; d != nil {
			word := map[bool]string{true: "PASS", false: "FAIL"}[d.Passed]
			drill = fmt.Sprintf("%s %s ago", word, fleet.FormatAge(m.now.Sub(d.Time)))
		}
		c := fleet.BackupCheck(cfg, bs, sum, m.now)
		line := fmt.Sprintf("%s%-14s %-7s %-24s %5s %9s  %-14s  %s", cursor, fit(cfg.Name, 14), cfg.Kind, fit(newest, 24), age, size, drill, stateLabel(st, c.State))
		if c.State != fleet.OK {
			line += " " + stateStyle(st, c.State).Render(strings.TrimPrefix(c.Reason, "backup "+cfg.Name))
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("\n")
}

// securitySection lists the security checklist and the certificates.
func (m *Model) securitySection(b *strings.Builder, r *hostRow) {
	st := m.st
	var rows []fleet.Check
	for _, c := range r.health.Checks {
		if securityCheck(c.Name) {
			rows = append(rows, c)
		}
	}
	if len(rows) == 0 {
		return
	}
	title := st.Detail.Section.Render("Security")
	if s := r.status.Last.Security; s != nil {
		title += " " + st.Detail.Muted.Render("(checked "+fleet.FormatAge(m.now.Sub(s.CheckedAt))+" ago)")
	}
	b.WriteString(title + "\n")
	for _, c := range rows {
		fmt.Fprintf(b, "  %-16s %s %s\n", fit(c.Name, 16), fit(stateLabel(st, c.State), 9), c.Reason)
	}
	b.WriteString("\n")
}
