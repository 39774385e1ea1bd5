// Package tui is the opsdeck dashboard: a bubbletea model over the fleet
// store. It never does I/O in Update or View; data arrives from the pollers
// through the store, read on a tick.
//
// The screen is a stack of components (see component): the fleet table at
// the bottom, then whatever was opened over it. Keys go to the top of the
// stack only; ticks and sizes go to all; View draws the same stack.
package tui

import (
	"context"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/oncall"
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
	// Location is the time zone times are shown in (default time.Local).
	Location *time.Location
	// Tick is how often the store is read (default 250ms).
	Tick time.Duration
	// Actions runs operator actions; nil disables them.
	Actions *actions.Manager
	// OnCall is the team's on-call log (acknowledge, silence); nil hides
	// them. Its view is read on the tick; writes run off the screen.
	OnCall *oncall.Desk
	// Healthy waits until a restarted service is healthy again (rolling
	// restarts); nil skips the wait.
	Healthy func(context.Context, *actions.Plan) error
	// Context is the program's root context; running actions are
	// cancelled with it.
	Context context.Context
	// Drills is the drill history; drills run from the dashboard are
	// recorded there and in the store.
	Drills actions.DrillHistory
	// TrustKey replaces a host's old key in known_hosts with the one it now
	// presents (T on a HOSTKEY host); nil: not offered.
	TrustKey func(*fleet.KeyChange) error
	// Shell opens a shell on a host (s); nil: none.
	Shell ShellFunc
	// Logs follows services' logs (l); nil hides it.
	Logs actions.Streamer
	// Events is the recorded history of state changes (H); nil hides it.
	Events fleet.EventStore
	// Since is when a host's check entered its current state, as this
	// process saw it; nil when unknown.
	Since func(host, check string) (time.Time, bool)
	// Sources is the health of the sources shared by many hosts (a
	// Prometheus); nil when there are none.
	Sources func() []fleet.SourceStatus
	// Prefs are the remembered sort and filter; PrefsPath is where changes
	// are kept ("" keeps nothing).
	Prefs     Prefs
	PrefsPath string
}

// Model is the root model of the dashboard.
type Model struct {
	c         *common
	table     *tableModel
	runs      runTracker
	acks      ackTracker
	ready     bool
	height    int
	quitAsked time.Time
}

type tickMsg time.Time

// New builds the dashboard model.
func New(opt Options) *Model {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Location == nil {
		opt.Location = time.Local
	}
	if opt.Tick <= 0 {
		opt.Tick = 250 * time.Millisecond
	}
	if opt.Context == nil {
		opt.Context = context.Background()
	}
	keys := opt.Keys
	keys.SetReadOnly(readOnlyWhy(opt))
	c := &common{opt: opt, st: opt.Styles, keys: &keys, data: newFleetData(opt.Config, opt.Store), now: opt.Now(), prefs: opt.Prefs, prefsKept: opt.Prefs}
	m := &Model{c: c, runs: runTracker{reported: map[int]bool{}}}
	c.data.refresh(c.now, true)
	m.table = newTableModel(c)
	c.stack = []component{m.table}
	m.table.arrange()
	return m
}

// Init starts the tick that reads the store.
func (m *Model) Init() tea.Cmd { return m.tickCmd() }

func (m *Model) tickCmd() tea.Cmd {
	return tea.Tick(m.c.opt.Tick, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Update handles one message: keys to the top of the stack, everything
// else to every component.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	c := m.c
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		c.width, c.height, m.height, m.ready = msg.Width, msg.Height, msg.Height, true
		c.sized = false
	case tea.KeyMsg:
		cmd = m.updateKeys(msg)
	case onCallMsg:
		if msg.err != nil {
			c.fail("%v", msg.err)
		} else {
			c.note("%s", msg.note)
		}
	case tickMsg:
		m.tick()
		cmd = tea.Batch(m.broadcast(msg), m.tickCmd())
	case prefsSavedMsg:
		cmd = c.prefsSaved(msg)
	case shellReadyMsg, shellDoneMsg, sessionClosedMsg:
		cmd = updateShell(c, msg)
	case TeamMsg:
		cmd = teamNews(c, msg)
	case ReloadMsg:
		m.reloaded(msg)
	case trustedMsg:
		if msg.err != nil {
			c.fail("the new key of %s was not trusted: %v", msg.host, msg.err)
		} else {
			c.note("%s: new host key trusted (recorded in the audit log); polling it again", msg.host)
		}
	default:
		cmd = m.broadcast(msg)
	}
	if !c.sized {
		m.layout()
	}
	if c.quit {
		return m, tea.Quit
	}
	return m, cmd
}

// tick reads the store and the action runs.
func (m *Model) tick() {
	c := m.c
	c.now = c.opt.Now()
	if _, resort := c.data.refresh(c.now, false); resort {
		m.table.arrange()
	}
	m.runs.poll(c)
	m.acks.poll(c)
	c.expire()
	c.setBanner()
}

func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for _, x := range append([]component(nil), m.c.stack...) {
		_, cmd := x.Update(msg)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// updateKeys handles a key event. A burst of runes in one event (keys
// typed faster than read, a paste, key repeat over a slow link) counts as
// each of its keys.
func (m *Model) updateKeys(msg tea.KeyMsg) tea.Cmd {
	if msg.Type != tea.KeyRunes || len(msg.Runes) <= 1 {
		return m.updateKey(msg)
	}
	var cmds []tea.Cmd
	for _, r := range msg.Runes {
		cmds = append(cmds, m.updateKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
		if m.c.quit {
			break
		}
	}
	return tea.Batch(cmds...)
}

func (m *Model) updateKey(msg tea.KeyMsg) tea.Cmd {
	c, k := m.c, m.c.keys
	if key.Matches(msg, k.ForceQuit) {
		c.quit = true
		return nil
	}
	top := c.top()
	if !captures(top) {
		onFleet := len(c.stack) == 1
		switch {
		case key.Matches(msg, k.Quit) && onFleet:
			m.quit()
			return nil
		case key.Matches(msg, k.Quit), key.Matches(msg, k.Back) && !onFleet:
			c.pop()
			return nil
		case key.Matches(msg, k.Help):
			c.push(newHelpModel(c))
			return nil
		case key.Matches(msg, k.Cancel) && c.opt.Actions != nil && c.opt.Actions.Running() > 0: // now, not as of the last tick
			cancelRun(c)
			return nil
		case key.Matches(msg, k.Output) && c.opt.Actions != nil:
			openOutput(c)
			return nil
		case key.Matches(msg, k.Audit) && c.opt.Actions != nil:
			return openAudit(c)
		case key.Matches(msg, k.History):
			return openHistory(c, focusedHost(c))
		case key.Matches(msg, k.Problems):
			openProblems(c, focusedHost(c))
			return nil
		case key.Matches(msg, k.TrustKey):
			openTrust(c, m.actedOn())
			return nil
		case key.Matches(msg, k.Shell):
			return openShell(c, m.actedOn())
		case key.Matches(msg, k.Run):
			hosts, kind := m.runTargets()
			openPalette(c, hosts, kind)
			return nil
		}
		if name, ok := k.commandFor(msg.String()); ok {
			hosts, _ := m.runTargets()
			startCommand(c, hosts, name)
			return nil
		}
		if desc, why, off := k.disabledBy(msg.String()); off {
			c.fail("%s is disabled: %s", desc, why)
			return nil
		}
	}
	_, cmd := top.Update(msg)
	return cmd
}

// focusedHost is the host whose detail is open under the top layer, ""
// on the fleet.
func focusedHost(c *common) string {
	if d, ok := find[*detailModel](c); ok {
		return d.host.Name
	}
	return ""
}

// actedOn is the host a host action is for: the one whose detail is open,
// else the one under the fleet's cursor.
func (m *Model) actedOn() string {
	if host := focusedHost(m.c); host != "" {
		return host
	}
	if r, ok := m.table.selected(); ok {
		return r.status.Host.Name
	}
	return ""
}

// quit ends the program, asking first while an action runs: quitting
// cancels it.
func (m *Model) quit() {
	c := m.c
	if m.runs.running > 0 && c.now.Sub(m.quitAsked) > 5*time.Second {
		m.quitAsked = c.now
		c.fail("%s running: %s again to quit and cancel it, %s cancels it", plural(m.runs.running, "action"),
			c.keys.Quit.Help().Key, c.keys.Cancel.Help().Key)
		return
	}
	c.quit = true
}
