package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/fleet"
)

// tableModel is the fleet table, the bottom of the stack: one row per
// host, filtered and sorted, with a cursor and marked hosts.
type tableModel struct {
	base
	width, height int
	visible       []int // indexes into data.hosts after filter and sort
	cursor        int   // index into visible
	offset        int   // first visible row on screen
	selName       string
	marked        map[string]bool
	orders        []sortOrder // the fleet's sort orders (its columns are fixed at start)
	sortBy        int         // index into orders
	filter        string
	keys          []sortKey // sortRows' scratch space
}

func newTableModel(c *common) *tableModel {
	t := &tableModel{base: base{c}, marked: map[string]bool{}, filter: c.prefs.Filter, orders: sortOrders(c.data)}
	for i, o := range t.orders {
		if o.name == c.prefs.Sort {
			t.sortBy = i
		}
	}
	return t
}

func (t *tableModel) SetSize(w, h int) {
	t.width, t.height = w, h
	t.clamp()
}

func (t *tableModel) ShortHelp() []key.Binding {
	k := t.c.keys
	return []key.Binding{k.Open, k.Restart, k.Filter, k.Sort, k.Audit, k.Select}
}

func (t *tableModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return t, nil
	}
	k, page := t.c.keys, max(1, t.rows()-1)
	switch {
	case key.Matches(km, k.Up):
		t.move(-1)
	case key.Matches(km, k.Down):
		t.move(1)
	case key.Matches(km, k.PageUp):
		t.move(-page)
	case key.Matches(km, k.PageDown):
		t.move(page)
	case key.Matches(km, k.Top):
		t.move(-len(t.visible))
	case key.Matches(km, k.Bottom):
		t.move(len(t.visible))
	case key.Matches(km, k.Open):
		if r, ok := t.selected(); ok {
			t.c.push(newDetailModel(t.c, r.status.Host))
		}
	case key.Matches(km, k.Select):
		t.toggleMark()
	case key.Matches(km, k.Restart):
		openRestart(t.c, t.selectedHosts(), "")
	case key.Matches(km, k.Silence):
		return t, openSilence(t.c, t.selectedHosts())
	case key.Matches(km, k.Drill):
		if r, ok := t.selected(); ok {
			drillRow(t.c, r)
		}
	case key.Matches(km, k.Ack):
		if r, ok := t.selected(); ok {
			openProblems(t.c, r.status.Host.Name)
			t.c.note("pick the problem to acknowledge, then %s", k.Ack.Help().Key)
		}
	case key.Matches(km, k.Sort), key.Matches(km, k.SortPrev):
		n := len(t.orders)
		step := 1
		if key.Matches(km, k.SortPrev) {
			step = n - 1
		}
		t.sortBy = (t.sortBy + step) % n
		t.arrange()
		return t, t.c.savePrefs(t.prefs())
	case key.Matches(km, k.Filter):
		t.c.push(newFilterModel(t.c, t))
	case key.Matches(km, k.Back):
		if t.filter != "" {
			t.setFilter("")
			return t, t.c.savePrefs(t.prefs())
		}
		t.c.dismiss()
	case key.Matches(km, k.Refresh):
		if r, ok := t.selected(); ok && t.c.opt.PollNow != nil {
			t.c.opt.PollNow(r.status.Host.Name)
			t.c.note("polling %s now", r.status.Host.Name)
		}
	}
	return t, nil
}

func (t *tableModel) prefs() Prefs {
	return Prefs{Sort: t.orders[t.sortBy].name, Filter: t.filter}
}

func (t *tableModel) toggleMark() {
	r, ok := t.selected()
	if !ok {
		return
	}
	if name := r.status.Host.Name; t.marked[name] {
		delete(t.marked, name)
	} else {
		t.marked[name] = true
	}
	t.move(1)
}

func (t *tableModel) setFilter(q string) {
	t.filter = q
	t.arrange()
}

// arrange applies the filter and the sort, keeping the selected host under
// the cursor when it is still shown.
func (t *tableModel) arrange() {
	d := t.c.data
	f := parseFilter(t.filter)
	t.visible = t.visible[:0]
	for i := range d.hosts {
		if f.match(&d.hosts[i]) {
			t.visible = append(t.visible, i)
		}
	}
	if len(t.keys) != len(d.hosts) {
		t.keys = make([]sortKey, len(d.hosts))
	}
	sortRows(t.visible, d.hosts, t.orders[t.sortBy], t.c.now, t.keys)
	t.cursor = 0
	for i, idx := range t.visible {
		if d.hosts[idx].status.Host.Name == t.selName {
			t.cursor = i
			break
		}
	}
	t.clamp()
}

func (t *tableModel) move(delta int) {
	t.cursor += delta
	t.clamp()
}

// rows is how many host rows fit: the height minus the title and the
// column header.
func (t *tableModel) rows() int { return max(1, t.height-2) }

// clamp keeps the cursor on a row and the row on screen.
func (t *tableModel) clamp() {
	t.cursor = max(0, min(t.cursor, len(t.visible)-1))
	if r, ok := t.selected(); ok {
		t.selName = r.status.Host.Name
	}
	_, t.offset = scroll(t.cursor, t.offset, len(t.visible), t.rows())
}

// selected is the host under the cursor.
func (t *tableModel) selected() (*hostRow, bool) {
	if t.cursor < 0 || t.cursor >= len(t.visible) {
		return nil, false
	}
	return &t.c.data.hosts[t.visible[t.cursor]], true
}

// selectedHosts are the marked hosts, or the one under the cursor when
// none is marked, in config order.
func (t *tableModel) selectedHosts() []*fleet.Host {
	var hs []*fleet.Host
	for i := range t.c.data.hosts {
		if h := t.c.data.hosts[i].status.Host; t.marked[h.Name] {
			hs = append(hs, h)
		}
	}
	if len(hs) == 0 {
		if r, ok := t.selected(); ok {
			hs = append(hs, r.status.Host)
		}
	}
	return hs
}

func (t *tableModel) View() string {
	if t.height <= 0 {
		return ""
	}
	st := t.c.st
	cols, reasonW := layoutColumns(t.c.data, t.visible, t.width)
	order := t.orders[t.sortBy]
	title := fmt.Sprintf("Hosts %d/%d · sort: %s", len(t.visible), len(t.c.data.hosts), order.name)
	if n := len(t.marked); n > 0 {
		title += fmt.Sprintf(" · %d selected (%s restarts a shared service, %s runs a command)", n, t.c.keys.Restart.Help().Key, t.c.keys.Run.Help().Key)
	}
	if t.filter != "" {
		title += fmt.Sprintf(" · filter: %q (%s clears)", t.filter, t.c.keys.Back.Help().Key)
	}
	var b strings.Builder
	b.WriteString(st.Header.Muted.Render(title) + "\n")
	hdr := make([]string, 0, len(cols)+1)
	for _, c := range cols {
		name := c.title
		if c.title == order.column {
			name += "▼"
		}
		hdr = append(hdr, align(name, c))
	}
	b.WriteString(st.Table.Header.Render("  " + strings.Join(append(hdr, fit("REASON", reasonW)), " ")))
	if len(t.visible) == 0 {
		why := "  no hosts"
		if t.filter != "" {
			why = "  no host matches the filter"
		}
		return b.String() + "\n" + st.Table.Muted.Render(why)
	}
	for i := t.offset; i < len(t.visible) && i < t.offset+t.rows(); i++ {
		b.WriteString("\n" + t.rowView(&t.c.data.hosts[t.visible[i]], cols, reasonW, i == t.cursor))
	}
	return b.String()
}

func align(s string, c column) string {
	if c.left {
		return fit(s, c.width)
	}
	return fitRight(s, c.width)
}

// rowView renders one host. The cursor and mark take the first cell, the
// PROD band the second.
func (t *tableModel) rowView(r *hostRow, cols []column, reasonW int, selected bool) string {
	st, h := t.c.st, r.status.Host
	cursor, band := " ", " "
	switch {
	case selected && t.marked[h.Name]:
		cursor, band = st.Header.Title.Render("▶"), st.Header.Title.Render("●")
	case selected:
		cursor = st.Header.Title.Render("▶")
	case t.marked[h.Name]:
		cursor = st.Header.Title.Render("●")
	}
	if h.Prod() && band == " " {
		band = st.Prod.Band.Render("┃")
	}
	cells := make([]string, 0, len(cols)+1)
	for _, c := range cols {
		cell := align(c.cell(t, r), c)
		if selected && c.title == "HOST" {
			cell = st.Table.Selected.Render(cell)
		}
		cells = append(cells, cell)
	}
	reason := stateStyle(st, r.health.State).Render(fit(r.reason(), reasonW))
	return cursor + band + strings.Join(append(cells, reason), " ")
}
