package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/probe"
)

// trustModel asks, with the host's name typed, to trust the key a host
// now presents: both fingerprints and the known_hosts line it replaces
// are on screen, and the replacement is audited.
type trustModel struct {
	dialogBase
	kc     fleet.KeyChange
	answer typedAnswer
}

type trustedMsg struct {
	host string
	err  error
}

// openTrust opens the dialog for a host whose key changed.
func openTrust(c *common, host string) {
	if why := readOnlyWhy(c.opt); why != "" {
		c.fail("trusting a new key is disabled: %s", why)
		return
	}
	r, ok := c.data.row(host)
	if !ok || r.status.KeyChange == nil {
		c.note("%s: its host key has not changed", host)
		return
	}
	if c.opt.TrustKey == nil {
		c.note("keys cannot be trusted here")
		return
	}
	c.push(&trustModel{dialogBase: dialogBase{base{c}}, kc: *r.status.KeyChange})
}

func (d *trustModel) ShortHelp() []key.Binding {
	return []key.Binding{withHelp(d.c.keys.Submit, "trust"), withHelp(d.c.keys.Back, "cancel")}
}

func (d *trustModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if km, ok := msg.(tea.KeyMsg); ok {
		return d, d.key(km)
	}
	return d, nil
}

func (d *trustModel) key(km tea.KeyMsg) tea.Cmd {
	switch k := d.c.keys; {
	case key.Matches(km, k.Back):
		d.c.pop()
		d.c.note("not confirmed: the key was not trusted")
	case d.answer.key(k, km, d.kc.Host):
		d.c.pop()
		return trustCmd(d.c, d.kc)
	}
	return nil
}

// trustCmd records the intent, replaces the line, records the result and
// polls the host again (file I/O, so in a Cmd).
func trustCmd(c *common, kc fleet.KeyChange) tea.Cmd {
	mgr, trust, poll := c.opt.Actions, c.opt.TrustKey, c.opt.PollNow
	what := fmt.Sprintf("replace %s:%d (%s) with %s", kc.File, kc.Line, kc.Old, kc.New)
	return func() tea.Msg {
		s, err := mgr.OpenSession(kc.Host, actions.KindTrustKey, what)
		if err != nil {
			return trustedMsg{kc.Host, err}
		}
		err = trust(&kc)
		if rerr := s.Close(0, err); err == nil {
			err = rerr
		}
		if err == nil && poll != nil {
			poll(kc.Host)
		}
		return trustedMsg{kc.Host, err}
	}
}

func (d *trustModel) View() string {
	st, kc := d.c.st, d.kc
	var b strings.Builder
	b.WriteString(st.Status.Crit.Render("Trust the new host key of "+kc.Host+"?") + "\n")
	b.WriteString(st.Detail.Muted.Render("Only if you know why it changed (reinstalled, re-keyed): else it may be a man-in-the-middle.") + "\n\n")
	b.WriteString(fmt.Sprintf("known_hosts  %s:%d (%s)\nold key      %s\nnew key      %s\n\n", kc.File, kc.Line, kc.Hostname, kc.Old, kc.New))
	b.WriteString(d.answer.view(st, kc.Host, "replace that line"))
	return modal(d.c, b.String())
}

// keyChangeHelp is what the problems pane says about a changed key: both
// fingerprints, where the old one is, the command that removes it by
// hand, and the key that trusts the new one here.
func keyChangeHelp(c *common, kc *fleet.KeyChange) string {
	return fmt.Sprintf("old key %s in %s:%d, new key %s. If the change is expected: %s trusts the new key (audited), or by hand: "+
		"ssh-keygen -R %s -f %s", kc.Old, kc.File, kc.Line, kc.New, c.keys.TrustKey.Help().Key, probe.Quote(kc.Hostname), probe.Quote(kc.File))
}
