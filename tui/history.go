package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/fleet"
)

// historyModel lists the recorded state changes, newest first: of one
// host when opened from its detail, of the fleet from the table.
type historyModel struct {
	base
	host           string // "" for every host
	events         []fleet.Event
	err            error
	loaded         bool
	cursor, offset int
	width, height  int
}

// historyLimit is how many changes the panel reads.
const historyLimit = 2000

type historyMsg struct {
	events []fleet.Event
	err    error
}

// loadHistoryCmd reads the event log (file I/O, so in a Cmd).
func loadHistoryCmd(l fleet.EventStore, host string) tea.Cmd {
	return func() tea.Msg {
		es, err := l.Read(func(e *fleet.Event) bool { return host == "" || e.Host == host })
		if len(es) > historyLimit {
			es = es[len(es)-historyLimit:]
		}
		return historyMsg{events: es, err: err}
	}
}

func openHistory(c *common, host string) tea.Cmd {
	if c.opt.Events == nil {
		c.note("no event history here")
		return nil
	}
	c.push(&historyModel{base: base{c}, host: host})
	return loadHistoryCmd(c.opt.Events, host)
}

func (h *historyModel) SetSize(w, ht int) {
	h.width, h.height = w, ht
	h.cursor, h.offset = scroll(h.cursor, h.offset, len(h.events), h.rows())
}

func (h *historyModel) rows() int { return max(1, h.height-1) }

func (h *historyModel) ShortHelp() []key.Binding {
	k := h.c.keys
	return []key.Binding{k.Up, k.Down, withHelp(k.Back, "close")}
}

func (h *historyModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case historyMsg:
		h.loaded, h.err = true, msg.err
		h.events = newestFirst(msg.events)
	case tea.KeyMsg:
		h.cursor = moveCursor(h.c.keys, msg, h.cursor, len(h.events), h.rows())
	}
	h.cursor, h.offset = scroll(h.cursor, h.offset, len(h.events), h.rows())
	return h, nil
}

func (h *historyModel) View() string {
	st := h.c.st
	what := "every host"
	if h.host != "" {
		what = h.host
	}
	var b strings.Builder
	b.WriteString(listHeader(h.c, "History", what, len(h.events), "change", h.loaded, h.err, "no state change recorded yet"))
	for i := h.offset; i < len(h.events) && i < h.offset+h.rows(); i++ {
		e := h.events[i]
		cursor := rowCursor(h.c, i == h.cursor)
		from, held := e.From, ""
		if from == "" {
			from = "(start)"
		}
		if !e.Since.IsZero() {
			held = st.Detail.Muted.Render(" after " + fleet.FormatAge(e.Time.Sub(e.Since)))
		}
		state, _ := fleet.ParseState(e.To) // a name this version does not know: UNKNOWN
		to := stateStyle(st, state).Render(e.To)
		b.WriteString(fmt.Sprintf("%s%s %-12s %-18s %s → %s%s %s\n", cursor, e.Time.In(h.c.opt.Location).Format("01-02 15:04:05"),
			fit(e.Host, 12), fit(e.Check, 18), from, to, held, st.Detail.Muted.Render(fleet.Sanitize(e.Reason, 200))))
	}
	return strings.TrimRight(b.String(), "\n")
}
