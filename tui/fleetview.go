package tui

import (
	"fmt"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/charmbracelet/bubbles/key"
	"sort"
	"strings"

	"github.com/opsdeck/opsdeck/fleet"
)

// arrange applies the filter and the sort, keeping the selected host under
// the cursor when it is still shown.
func (m *Model) arrange() {
	q := strings.ToLower(strings.TrimSpace(m.filter.Value()))
	m.visible = m.visible[:0]
	for i := range m.hosts {
		if q == "" || matches(m.hosts[i].status.Host, q) {
			m.visible = append(m.visible, i)
		}
	}
	if m.sort == sortWorst {
		sort.SliceStable(m.visible, func(a, b int) bool {
			ha, hb := &m.hosts[m.visible[a]], &m.hosts[m.visible[b]]
			if ha.health.State != hb.health.State {
				return ha.health.State > hb.health.State
			}
			return ha.status.Host.Name < hb.status.Host.Name
		})
	} else {
		sort.SliceStable(m.visible, func(a, b int) bool {
			return m.hosts[m.visible[a]].status.Host.Name < m.hosts[m.visible[b]].status.Host.Name
		})
	}
	m.cursor = 0
	for i, idx := range m.visible {
		if m.hosts[idx].status.Host.Name == m.selName {
			m.cursor = i
			break
		}
	}
	m.clampCursor()
}

// matches reports whether a host's name, env or one of its tags contains q.
func matches(h *fleet.Host, q string) bool {
	if strings.Contains(strings.ToLower(h.Name), q) || strings.Contains(strings.ToLower(h.Env), q) {
		return true
	}
	for _, t := range h.Tags {
		if strings.Contains(strings.ToLower(t), q) {
			return true
		}
	}
	return false
}

func (m *Model) move(delta int) {
	m.cursor += delta
	m.clampCursor()
}

// clampCursor keeps the cursor on a row and the row on screen.
func (m *Model) clampCursor() {
	m.cursor = max(0, min(m.cursor, len(m.visible)-1))
	if r, ok := m.selected(); ok {
		m.selName = r.status.Host.Name
	}
	rows := max(1, m.tableHeight()-1) // minus the column header
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+rows {
		m.offset = m.cursor - rows + 1
	}
	m.offset = max(0, min(m.offset, len(m.visible)-rows))
}

// tableHeight is the number of lines the table may use, column header
// included.
func (m *Model) tableHeight() int {
	if !m.ready {
		return 1
	}
	return max(1, m.height-2-1) // header, title line, footer
}

// columns of the fleet table; reason takes what is left. A zero width
// hides a column: SVC, BACKUP and DRILL appear only when some host has
// services or backups, and on a narrow terminal UP, then LOAD, give way so
// the reason stays readable.
type columns struct {
	host, env, state, cpu, mem, disk, load, up, svc, backup, drill, sec, age, reason int
}

// cells joins the right-aligned metric cells of the visible columns.
func (c columns) cells(cpu, mem, disk, load, up, svc, backup, drill, sec, age string) []string {
	var out []string
	for _, p := range []struct {
		v string
		w int
	}{{cpu, c.cpu}, {mem, c.mem}, {disk, c.disk}, {load, c.load}, {up, c.up}, {svc, c.svc}, {backup, c.backup}, {drill, c.drill}, {sec, c.sec}, {age, c.age}} {
		if p.w > 0 {
			out = append(out, fitRight(p.v, p.w))
		}
	}
	return out
}

func (m *Model) columns() columns {
	c := columns{env: 7, state: 9, cpu: 4, mem: 4, disk: 4, load: 5, up: 5, age: 4}
	if m.anyServices {
		c.svc = 5
	}
	if m.anyBackups {
		c.backup, c.drill = 6, 6
	}
	if m.anySecurity {
		c.sec = 4
	}
	longest := 4
	for _, idx := range m.visible {
		longest = max(longest, len(m.hosts[idx].status.Host.Name))
	}
	c.host = min(longest, 24)
	fixed := func() int {
		n, cols := 2, 0
		for _, w := range []int{c.host, c.env, c.state, c.cpu, c.mem, c.disk, c.load, c.up, c.svc, c.backup, c.drill, c.sec, c.age} {
			if w > 0 {
				n += w
				cols++
			}
		}
		return n + cols // one space after each
	}
	for _, drop := range []*int{&c.up, &c.load} {
		if m.width-fixed() >= 12 {
			break
		}
		*drop = 0
	}
	c.reason = m.width - fixed()
	if c.reason < 12 {
		shrink := min(c.host-8, 12-c.reason)
		c.host -= max(0, shrink)
		c.reason = m.width - fixed()
	}
	return c
}

func (m *Model) tableView(height int) string {
	if height <= 0 {
		return ""
	}
	c := m.columns()
	var b strings.Builder
	title := fmt.Sprintf("Hosts %d/%d · sort: %s", len(m.visible), len(m.hosts), m.sort)
	if n := len(m.marked); n > 0 {
		title += fmt.Sprintf(" · %d selected (%s restarts a shared service)", n, m.keys.Restart.Help().Key)
	}
	if v := m.filter.Value(); v != "" && !m.filtering {
		title += fmt.Sprintf(" · filter: %q (esc clears)", v)
	}
	b.WriteString(m.st.Header.Muted.Render(title))
	b.WriteString("\n")
	hdr := "  " + strings.Join(append(append([]string{fit("HOST", c.host), fit("ENV", c.env), fit("STATE", c.state)},
		c.cells("CPU", "MEM", "DISK", "LOAD", "UP", "SVC", "BACKUP", "DRILL", "SEC", "AGE")...), fit("REASON", c.reason)), " ")
	b.WriteString(m.st.Table.Header.Render(hdr))
	rows := height - 2
	if len(m.visible) == 0 {
		b.WriteString("\n")
		if m.filter.Value() != "" {
			b.WriteString(m.st.Table.Muted.Render("  no host matches the filter"))
		} else {
			b.WriteString(m.st.Table.Muted.Render("  no hosts"))
		}
		return b.String()
	}
	for i := m.offset; i < len(m.visible) && i < m.offset+rows; i++ {
		b.WriteString("\n")
		b.WriteString(m.rowView(&m.hosts[m.visible[i]], c, i == m.cursor))
	}
	return b.String()
}

// rowView renders one host. Values from an old or missing sample are
// blanked rather than shown: a STALE or DOWN host never shows green numbers.
func (m *Model) rowView(r *hostRow, c columns, selected bool) string {
	h, st := r.status.Host, m.st
	cursor, band := " ", " "
	switch {
	case selected && m.marked[h.Name]:
		cursor = st.Header.Title.Render("▶")
		band = st.Header.Title.Render("●")
	case selected:
		cursor = st.Header.Title.Render("▶")
	case m.marked[h.Name]:
		cursor = st.Header.Title.Render("●")
	}
	env := fit(h.Env, c.env)
	if h.Prod() {
		if band == " " {
			band = st.Prod.Band.Render("┃")
		}
		env = st.Prod.Label.Render(fit(" PROD", c.env))
	}
	cpu, mem, disk, load, up, svc, age := "-", "-", "-", "-", "-", "", "-"
	backup, drill := m.backupCells(r)
	if n := len(h.Services); n > 0 {
		svc = "-/" + fmt.Sprint(n)
	}
	if s := r.status.Last; s != nil {
		age = fleet.FormatAge(m.now.Sub(s.At))
		if !r.health.State.Old() {
			if s.Known(fleet.MetricCPU) {
				cpu = pct(s.CPU)
			}
			if s.Known(fleet.MetricMemory) {
				mem = pct(s.MemPercent())
			}
			if d := s.WorstDisk(); d != nil {
				disk = pct(d.UsedPercent())
			}
			if s.Known(fleet.MetricLoad) && s.Cores > 0 {
				load = fmt.Sprintf("%.2f", s.LoadPerCore())
			}
			if s.Known(fleet.MetricUptime) {
				up = formatUptime(s.Uptime)
			}
			if n := len(h.Services); n > 0 {
				running := 0
				for _, sv := range s.Services {
					if sv.Running {
						running++
					}
				}
				svc = fmt.Sprintf("%d/%d", running, n)
			}
		}
	}
	name := fit(h.Name, c.host)
	state := fit(stateLabel(st, r.health.State), c.state)
	reason := fit(r.health.Reason, c.reason)
	rest := strings.Join(c.cells(cpu, mem, disk, load, up, svc, backup, drill, m.securityCell(r), age), " ")
	if selected {
		name = st.Table.Selected.Render(name)
		rest = st.Table.Selected.Render(rest)
	}
	return cursor + band + strings.Join([]string{name, env, state, rest, stateStyle(st, r.health.State).Render(reason)}, " ")
}

// headerView is the top line: fleet, counts per state, data age, clock.
func (m *Model) headerView() string {
	st := m.st
	name := "opsdeck"
	if n := m.opt.Config.Name; n != "" {
		name += " · " + fleet.Sanitize(n, 40)
	}
	left := st.Header.Title.Render(name)
	if m.opt.ReadOnly {
		left += " " + st.Header.Muted.Render("[read-only]")
	}
	if m.running > 0 {
		left += " " + st.Status.Warn.Render("▶ "+plural(m.running, "action")+" running")
	}
	counts := map[fleet.State]int{}
	var freshest, stalest int64 = -1, -1
	for i := range m.hosts {
		counts[m.hosts[i].health.State]++
		if s := m.hosts[i].status.Last; s != nil {
			age := int64(m.now.Sub(s.At).Seconds())
			if freshest < 0 || age < freshest {
				freshest = age
			}
			stalest = max(stalest, age)
		}
	}
	parts := []string{st.Header.Text.Render(plural(len(m.hosts), "host") + ":")}
	for _, s := range fleet.AllStates {
		if n := counts[s]; n > 0 || s == fleet.OK {
			parts = append(parts, stateStyle(st, s).Render(fmt.Sprintf("%d %s", n, s)))
		}
	}
	data := "no data yet"
	if freshest >= 0 {
		data = "data " + fleet.FormatAge(secs(freshest)) + " old"
		if fleet.FormatAge(secs(stalest)) != fleet.FormatAge(secs(freshest)) {
			data = "data " + fleet.FormatAge(secs(freshest)) + "–" + fleet.FormatAge(secs(stalest)) + " old"
		}
	}
	right := strings.Join(parts, " ") + st.Header.Muted.Render(" · "+data+" · "+m.now.Format("15:04:05"))
	gap := m.width - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		return left + " " + right
	}
	return left + strings.Repeat(" ", gap) + right
}

// footerView is the bottom line: the keys of what has the focus (or a
// flash message), and "? help • q quit" always, at any width.
func (m *Model) footerView() string {
	if m.filtering {
		return m.filter.View()
	}
	var keys []key.Binding
	switch {
	case m.dlg.kind != dialogNone:
		return ""
	case m.showOutput || m.showAudit:
		keys = panelHelp(m.keys)
	case m.mode == modeDetail:
		var h *fleet.Host
		if r, ok := m.selected(); ok {
			h = r.status.Host
		}
		keys = detailHelp(m.keys, h)
	default:
		keys = m.keys.ShortHelp()
	}
	right := m.help.ShortHelpView([]key.Binding{m.keys.Help, m.keys.Quit})
	room := max(0, m.width-ansi.StringWidth(right)-3)
	var left string
	if m.flashText != "" && m.now.Before(m.flashUntil) {
		left = m.st.Flash.Render(fit(m.flashText, room))
	} else {
		var rest []key.Binding
		for _, k := range keys {
			if k.Help() != m.keys.Help.Help() && k.Help() != m.keys.Quit.Help() {
				rest = append(rest, k)
			}
		}
		h := m.help
		h.Width = room
		left = h.ShortHelpView(rest)
		if ansi.StringWidth(left) > room {
			left = ansi.Truncate(left, room, "…")
		}
	}
	if left == "" {
		return right
	}
	return left + m.st.Help.ShortSeparator.Render(" • ") + right
}

// backupCells are the BACKUP (age of the oldest newest artefact) and
// DRILL (age of the oldest last passing drill, or "never") cells of a host,
// styled by its worst backup check.
func (m *Model) backupCells(r *hostRow) (string, string) {
	h := r.status.Host
	if len(h.Backups) == 0 {
		return "", ""
	}
	backup, drill := "-", ""
	var oldest, oldestDrill time.Duration
	never := false
	worst := fleet.OK
	for _, c := range r.health.Checks {
		if strings.HasPrefix(c.Name, "backup ") {
			worst = fleet.Worse(worst, c.State)
		}
	}
	for i := range h.Backups {
		name := h.Backups[i].Name
		if s := r.status.Last; s != nil {
			for _, bs := range s.Backups {
				if bs.Name == name && !bs.NewestAt.IsZero() {
					oldest = max(oldest, m.now.Sub(bs.NewestAt))
				}
			}
		}
		if p := r.status.Drills[name].LastPass; p != nil {
			oldestDrill = max(oldestDrill, m.now.Sub(p.Time))
		} else {
			never = true
		}
	}
	if oldest > 0 {
		backup = fleet.FormatAge(oldest)
	}
	switch {
	case never:
		drill = "never"
	default:
		drill = fleet.FormatAge(oldestDrill)
	}
	style := stateStyle(m.st, worst)
	return style.Render(backup), style.Render(drill)
}

// securityCell summarises the security checklist and certificates of a
// host: the worst state's word, "-" before the first check.
func (m *Model) securityCell(r *hostRow) string {
	seen, worst := false, fleet.OK
	for _, c := range r.health.Checks {
		if securityCheck(c.Name) {
			seen = true
			worst = fleet.Worse(worst, c.State)
		}
	}
	if !seen {
		return "-"
	}
	return stateStyle(m.st, worst).Render(worst.String())
}

// securityCheck reports whether a check belongs to the security checklist.
func securityCheck(name string) bool {
	switch name {
	case "database ports", "open ports", "sshd", "updates", "reboot", "listening ports":
		return true
	}
	return strings.HasPrefix(name, "cert ")
}
