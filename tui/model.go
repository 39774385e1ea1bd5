// Package tui is the opsdeck dashboard: a bubbletea model over the fleet
// store. It never does I/O in Update or View; data arrives from the pollers
// through the store, read on a tick.
package tui

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/themes"
)

// Options are what the dashboard needs from its caller.
type Options struct {
	Config   *fleet.Config
	Store    *fleet.Store
	PollNow  func(host string) // asks the poller for an immediate poll; may be nil
	Styles   *themes.Styles
	Keys     KeyMap
	ReadOnly bool
	// Now is the clock; tests fix it. Defaults to time.Now.
	Now func() time.Time
	// Tick is how often the store is read (default 250ms).
	Tick time.Duration
	// Actions runs operator actions; nil disables them.
	Actions *actions.Manager
	// Healthy waits until a restarted service is healthy again (rolling
	// restarts); nil skips the wait.
	Healthy func(context.Context, *actions.Plan) error
	// Context is the program's root context; running actions are
	// cancelled with it.
	Context context.Context
	// Drills is the drill history; drills run from the dashboard are
	// recorded there and in the store.
	Drills *actions.DrillLog
}

type viewMode int

const (
	modeFleet viewMode = iota
	modeDetail
)

type sortMode int

const (
	sortName sortMode = iota
	sortWorst
	sortModes
)

func (s sortMode) String() string {
	if s == sortWorst {
		return "worst first"
	}
	return "name"
}

// Model is the root model of the dashboard.
type Model struct {
	opt    Options
	st     *themes.Styles
	keys   KeyMap
	help   help.Model
	filter textinput.Model
	detail viewport.Model

	width, height int
	ready         bool

	mode      viewMode
	showHelp  bool
	filtering bool
	sort      sortMode

	anyServices, anyBackups, anySecurity bool // show the SVC, BACKUP, DRILL and SEC columns

	hosts   []hostRow      // every host, in config order
	index   map[string]int // host name → index in hosts
	visible []int          // indexes into hosts after filter and sort
	cursor  int            // index into visible
	offset  int            // first visible row on screen
	selName string         // keeps the selection across re-sorts

	version uint64
	now     time.Time
	second  int64 // the wall-clock second rows were last built for

	marked       map[string]bool // hosts selected with space
	svcCursor    int             // selected service in the detail view
	dlg          dialog
	out          *runView // the latest action run, shown in the output panel
	showOutput   bool
	reported     map[int]bool // runs whose end has been reported
	running      int          // action runs not finished, for the header
	quitAsked    time.Time
	showAudit    bool
	auditEntries []actions.Entry
	auditErr     error
	flashText    string
	flashUntil   time.Time
}

// hostRow is one host's status and its evaluated health at build time.
type hostRow struct {
	status fleet.HostStatus
	health fleet.Health
}

type tickMsg time.Time

// New builds the dashboard model.
func New(opt Options) *Model {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Tick <= 0 {
		opt.Tick = 250 * time.Millisecond
	}
	if opt.Context == nil {
		opt.Context = context.Background()
	}
	if opt.ReadOnly || opt.Actions == nil {
		opt.Keys.SetReadOnly(true)
	}
	h := help.New()
	h.Styles = opt.Styles.Help
	f := textinput.New()
	f.Prompt = "/"
	f.PromptStyle = opt.Styles.Filter.Prompt
	f.TextStyle = opt.Styles.Filter.Text
	f.Placeholder = "name, env or tag"
	f.CharLimit = 64
	m := &Model{opt: opt, st: opt.Styles, keys: opt.Keys, help: h, filter: f, detail: viewport.New(0, 0),
		marked: map[string]bool{}, reported: map[int]bool{}}
	m.detail.KeyMap = viewportKeys(opt.Keys)
	for i := range opt.Config.Hosts {
		m.anyServices = m.anyServices || len(opt.Config.Hosts[i].Services) > 0
		m.anyBackups = m.anyBackups || len(opt.Config.Hosts[i].Backups) > 0
		m.anySecurity = m.anySecurity || opt.Config.Hosts[i].SecurityOn() || len(opt.Config.Hosts[i].Certs) > 0
	}
	m.refresh(true)
	return m
}

// Init starts the tick that reads the store.
func (m *Model) Init() tea.Cmd { return m.tickCmd() }

func (m *Model) tickCmd() tea.Cmd {
	return tea.Tick(m.opt.Tick, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.setSize(msg.Width, msg.Height)
		return m, nil
	case tickMsg:
		m.refresh(false)
		m.pollRuns()
		return m, m.tickCmd()
	case tea.KeyMsg:
		return m.updateKey(msg)
	case auditMsg:
		m.auditEntries, m.auditErr = msg.entries, msg.err
		return m, nil
	}
	return m, nil
}

// layer is what is on top of the screen. Keys go to it alone and View
// draws it: one function decides both, so a key can never answer a dialog
// that is not on the screen.
type layer int

const (
	layerFleet layer = iota
	layerDetail
	layerOutput
	layerAudit
	layerFilter // the prompt in the footer; the body below stays drawn
	layerDialog
	layerHelp
)

func (m *Model) top() layer {
	switch {
	case m.showHelp:
		return layerHelp
	case m.dlg.kind != dialogNone:
		return layerDialog
	case m.filtering:
		return layerFilter
	case m.showAudit:
		return layerAudit
	case m.showOutput && m.out != nil:
		return layerOutput
	case m.mode == modeDetail:
		return layerDetail
	}
	return layerFleet
}

func (m *Model) updateKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	if key.Matches(msg, m.keys.ForceQuit) {
		return m, tea.Quit
	}
	switch m.top() {
	case layerHelp: // help covers the screen: it only closes
		if key.Matches(msg, m.keys.Help, m.keys.Back, m.keys.Quit) {
			m.showHelp = false
			m.layout()
		}
		return m, nil
	case layerDialog:
		return m.updateDialog(msg)
	case layerFilter:
		return m.updateFilter(msg)
	}
	switch {
	case key.Matches(msg, m.keys.Quit):
		if m.running > 0 && m.now.Sub(m.quitAsked) > 5*time.Second {
			m.quitAsked = m.now
			return m, m.flash("%s running: q again to quit and stop it, %s cancels it", plural(m.running, "action"), m.keys.Cancel.Help().Key)
		}
		return m, tea.Quit
	case key.Matches(msg, m.keys.Cancel) && m.running > 0:
		return m, m.cancelRun()
	case key.Matches(msg, m.keys.Output) && m.opt.Actions != nil:
		return m, m.openOutput()
	case key.Matches(msg, m.keys.Help):
		m.showHelp = true
		m.layout()
		return m, nil
	case key.Matches(msg, m.keys.Refresh):
		if r, ok := m.selected(); ok && m.opt.PollNow != nil {
			m.opt.PollNow(r.status.Host.Name)
		}
		return m, nil
	case key.Matches(msg, m.keys.Audit) && m.opt.Actions != nil:
		m.showAudit = true
		return m, loadAuditCmd(m.opt.Actions.Audit)
	case !m.keys.Restart.Enabled() && (slices.Contains(m.keys.Restart.Keys(), msg.String()) ||
		slices.Contains(m.keys.Snapshot.Keys(), msg.String()) || slices.Contains(m.keys.Drill.Keys(), msg.String())):
		return m, m.flash("read-only: actions are disabled")
	}
	switch m.top() {
	case layerOutput, layerAudit:
		return m.updatePanel(msg)
	case layerDetail:
		return m.updateDetail(msg)
	}
	return m.updateFleet(msg)
}

func (m *Model) updateFleet(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	page := max(1, m.tableHeight()-1)
	switch {
	case key.Matches(msg, m.keys.Up):
		m.move(-1)
	case key.Matches(msg, m.keys.Down):
		m.move(1)
	case key.Matches(msg, m.keys.PageUp):
		m.move(-page)
	case key.Matches(msg, m.keys.PageDown):
		m.move(page)
	case key.Matches(msg, m.keys.Top):
		m.move(-len(m.visible))
	case key.Matches(msg, m.keys.Bottom):
		m.move(len(m.visible))
	case key.Matches(msg, m.keys.Open):
		if _, ok := m.selected(); ok {
			m.mode = modeDetail
			m.svcCursor = 0
			m.detail.GotoTop()
			m.renderDetail()
		}
	case key.Matches(msg, m.keys.Select):
		if r, ok := m.selected(); ok {
			name := r.status.Host.Name
			if m.marked[name] {
				delete(m.marked, name)
			} else {
				m.marked[name] = true
			}
			m.move(1)
		}
	case key.Matches(msg, m.keys.Restart):
		return m, m.startRestart(m.selectedHosts(), "")
	case key.Matches(msg, m.keys.Sort):
		m.sort = (m.sort + 1) % sortModes
		m.arrange()
	case key.Matches(msg, m.keys.Filter):
		m.filtering = true
		m.layout()
		return m, m.filter.Focus()
	case key.Matches(msg, m.keys.Back):
		if m.filter.Value() != "" {
			m.filter.SetValue("")
			m.arrange()
		}
	}
	return m, nil
}

func (m *Model) updateFilter(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch msg.Type {
	case tea.KeyEnter:
		m.filtering = false
		m.filter.Blur()
		m.layout()
		return m, nil
	case tea.KeyEsc:
		m.filtering = false
		m.filter.Blur()
		m.filter.SetValue("")
		m.layout()
		m.arrange()
		return m, nil
	}
	var cmd tea.Cmd
	before := m.filter.Value()
	m.filter, cmd = m.filter.Update(msg)
	if m.filter.Value() != before {
		m.arrange()
	}
	return m, cmd
}

// updatePanel handles keys while the output or the audit panel is shown.
func (m *Model) updatePanel(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Back):
		if m.showAudit {
			m.showAudit = false
		} else {
			m.showOutput = false
		}
	case key.Matches(msg, m.keys.Audit) && m.opt.Actions != nil:
		m.showAudit = true
		return m, loadAuditCmd(m.opt.Actions.Audit)
	}
	return m, nil
}

func (m *Model) updateDetail(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	r, _ := m.selected()
	var h *fleet.Host
	if r != nil {
		h = r.status.Host
	}
	nsvc, nitems := 0, 0
	if h != nil {
		nsvc, nitems = len(h.Services), len(h.Services)+len(h.Backups)
	}
	item := min(m.svcCursor, max(0, nitems-1))
	switch {
	case key.Matches(msg, m.keys.Back):
		m.mode = modeFleet
		return m, nil
	case key.Matches(msg, m.keys.Restart) && item < nsvc:
		return m, m.startRestart([]*fleet.Host{h}, h.Services[item].Name)
	case key.Matches(msg, m.keys.Restart):
		return m, m.flash("select a service to restart (↑/↓)")
	case key.Matches(msg, m.keys.Snapshot), key.Matches(msg, m.keys.Drill):
		if nitems == 0 || item < nsvc {
			return m, m.flash("select a backup (↑/↓)")
		}
		b := h.Backups[item-nsvc].Name
		if key.Matches(msg, m.keys.Snapshot) {
			return m, m.startSnapshot(h, b)
		}
		return m, m.startDrill(r, b)
	case nitems > 0 && key.Matches(msg, m.keys.Up):
		m.svcCursor = max(0, item-1)
		m.renderDetail()
		return m, nil
	case nitems > 0 && key.Matches(msg, m.keys.Down):
		m.svcCursor = min(nitems-1, item+1)
		m.renderDetail()
		return m, nil
	}
	var cmd tea.Cmd
	m.detail, cmd = m.detail.Update(msg)
	return m, cmd
}

func (m *Model) setSize(w, h int) {
	m.width, m.height, m.ready = w, h, true
	m.help.Width = w
	m.filter.Width = max(10, w-4)
	m.layout()
}

// layout sizes the parts that depend on the terminal and on what is shown.
func (m *Model) layout() {
	if !m.ready {
		return
	}
	m.detail.Width = m.width
	m.detail.Height = max(1, m.height-lipgloss.Height(m.headerView())-lipgloss.Height(m.footerView()))
	m.clampCursor()
	if m.mode == modeDetail {
		m.renderDetail()
	}
}

// refresh reads what changed in the store, and once a second re-checks the
// hosts whose state depends on the clock (STALE, the age in a DOWN reason),
// so ages and the clock stay true even when no data arrives. Only changed
// hosts are re-evaluated, and the rows are re-sorted only when a state
// changed: a frame costs O(changed + visible), not O(fleet).
func (m *Model) refresh(force bool) {
	now := m.opt.Now()
	v := m.opt.Store.Version()
	sec := now.Unix()
	m.now = now
	if !force && v == m.version && sec == m.second {
		return
	}
	resort := false
	switch {
	case force || m.index == nil:
		snap, ver := m.opt.Store.Snapshot()
		m.hosts = make([]hostRow, len(snap))
		m.index = make(map[string]int, len(snap))
		for i := range snap {
			m.index[snap[i].Host.Name] = i
			m.update(i, snap[i], now)
		}
		m.version, resort = ver, true
	case v != m.version:
		changed, ver := m.opt.Store.Changed(m.version)
		for i := range changed {
			if m.update(m.index[changed[i].Host.Name], changed[i], now) {
				resort = true
			}
		}
		m.version = ver
	}
	if sec != m.second {
		m.second = sec
		for i := range m.hosts {
			if clockSensitive(&m.hosts[i], now) && m.update(i, m.hosts[i].status, now) {
				resort = true
			}
		}
	}
	if resort {
		m.arrange()
	}
	if m.mode == modeDetail {
		m.renderDetail()
	}
}

// update re-evaluates one host; it reports whether its state changed.
func (m *Model) update(i int, st fleet.HostStatus, now time.Time) bool {
	old := m.hosts[i].health.State
	m.hosts[i] = hostRow{status: st}
	m.hosts[i].health = fleet.Assess(&m.hosts[i].status, now)
	return m.hosts[i].health.State != old
}

// clockSensitive reports whether a host's evaluation may change with time
// alone: its data may have just gone stale, or its reason carries an age.
func clockSensitive(r *hostRow, now time.Time) bool {
	if r.status.Last == nil {
		return false
	}
	if r.health.State == fleet.Down || r.health.State == fleet.Slow {
		return true
	}
	stale := now.Sub(r.status.Last.At) > r.status.Host.StaleAge()
	return stale != (r.health.State == fleet.Stale) || r.health.State == fleet.Stale
}

// View renders the whole screen, never taller or wider than the terminal.
func (m *Model) View() string {
	if !m.ready {
		return "opsdeck: starting…"
	}
	header, footer := m.headerView(), m.footerView()
	bodyHeight := max(0, m.height-lipgloss.Height(header)-lipgloss.Height(footer))
	var body string
	top := m.top()
	if top == layerFilter { // the prompt is in the footer, over the fleet
		top = layerFleet
	}
	switch top {
	case layerHelp:
		body = m.helpView(bodyHeight)
	case layerDialog:
		body = lipgloss.Place(m.width, bodyHeight, lipgloss.Center, lipgloss.Center, m.dialogView())
	case layerAudit:
		body = m.auditView(bodyHeight)
	case layerOutput:
		body = m.outputView(bodyHeight)
	case layerDetail:
		body = m.detail.View()
	default:
		body = m.tableView(bodyHeight)
	}
	parts := []string{header}
	if bodyHeight > 0 {
		parts = append(parts, padLines(body, bodyHeight))
	}
	parts = append(parts, footer)
	return clampLines(strings.Join(parts, "\n"), m.width, m.height)
}

// helpView shows every binding, its column groups wrapped onto more rows
// when the terminal is too narrow for all of them side by side.
func (m *Model) helpView(height int) string {
	h := m.help
	h.ShowAll = true
	h.Width = 0 // measure unconstrained; rows are fitted below
	groups := m.keys.FullHelp()
	var rows []string
	for start := 0; start < len(groups); {
		end := start + 1
		for end < len(groups) && lipgloss.Width(h.FullHelpView(groups[start:end+1])) <= m.width {
			end++
		}
		rows = append(rows, h.FullHelpView(groups[start:end]), "")
		start = end
	}
	return lipgloss.JoinVertical(lipgloss.Left, append([]string{m.st.Detail.Title.Render("Keys"), ""}, rows...)...)
}

// padLines makes s exactly n lines, so the footer stays at the bottom.
func padLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	for len(lines) < n {
		lines = append(lines, "")
	}
	return strings.Join(lines[:n], "\n")
}

// selected is the host under the cursor.
func (m *Model) selected() (*hostRow, bool) {
	if m.cursor < 0 || m.cursor >= len(m.visible) {
		return nil, false
	}
	return &m.hosts[m.visible[m.cursor]], true
}
