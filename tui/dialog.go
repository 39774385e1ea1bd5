package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/themes"
)

// chooseModel asks which service to restart on the selected hosts.
type chooseModel struct {
	dialogBase
	hosts   []*fleet.Host
	choices []string
	cursor  int
}

func (d *chooseModel) ShortHelp() []key.Binding {
	k := d.c.keys
	return []key.Binding{k.Up, k.Down, withHelp(k.Confirm, "next"), withHelp(k.Back, "cancel")}
}

func (d *chooseModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if km, ok := msg.(tea.KeyMsg); ok {
		d.choose(km)
	}
	return d, nil
}

func (d *chooseModel) choose(km tea.KeyMsg) {
	k := d.c.keys
	switch {
	case key.Matches(km, k.Back, k.Deny):
		d.c.pop()
	case key.Matches(km, k.Up):
		d.cursor = max(0, d.cursor-1)
	case key.Matches(km, k.Down):
		d.cursor = min(len(d.choices)-1, d.cursor+1)
	case key.Matches(km, k.Confirm):
		d.c.pop()
		openRestart(d.c, d.hosts, d.choices[d.cursor])
	}
}

func (d *chooseModel) View() string {
	st := d.c.st
	names := make([]string, len(d.hosts))
	for i, h := range d.hosts {
		names[i] = h.Name
	}
	var b strings.Builder
	b.WriteString(st.Detail.Title.Render("Restart which service?") + "\n")
	b.WriteString(st.Detail.Muted.Render("on "+strings.Join(names, ", ")) + "\n\n")
	for i, c := range d.choices {
		cursor := "  "
		if i == d.cursor {
			cursor = "▶ "
		}
		b.WriteString(cursor + c + "\n")
	}
	return modal(d.c, strings.TrimRight(b.String(), "\n"))
}

// confirmModel shows exactly what will run, where, and asks: y for one
// staging host, the host's name typed for prod, the host count typed for
// several. A DOWN host is named first: nothing runs until the operator asks
// to try anyway.
type confirmModel struct {
	dialogBase
	plans  []*actions.Plan
	drill  *actions.Drill // set when the plan is a restore drill
	want   string         // what they must type; "" for a plain yes
	answer typedAnswer    // what they typed
	down   string         // which hosts the poller shows DOWN, and why
	ran    bool
}

func (d *confirmModel) ShortHelp() []key.Binding {
	k := d.c.keys
	switch {
	case d.down != "":
		return []key.Binding{k.Force, withHelp(k.Back, "cancel")}
	case d.want != "":
		return []key.Binding{withHelp(k.Submit, "run"), withHelp(k.Back, "cancel")}
	}
	return []key.Binding{k.Confirm, k.Deny}
}

// closed records that nothing was run when the dialog closes unconfirmed.
func (d *confirmModel) closed() {
	if d.ran {
		return
	}
	for _, p := range d.plans {
		d.c.opt.Actions.Cancelled(p)
	}
	d.c.note("not confirmed: nothing was run")
}

func (d *confirmModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return d, nil
	}
	k := d.c.keys
	switch {
	case key.Matches(km, k.Back), d.want == "" && key.Matches(km, k.Deny):
		d.c.pop()
	case d.down != "": // nothing runs until the operator asks to try anyway
		if key.Matches(km, k.Force) {
			d.down = ""
		}
	case d.want == "":
		if key.Matches(km, k.Confirm) {
			d.run()
		}
	case d.answer.key(k, km, d.want):
		d.run()
	}
	return d, nil
}

func (d *confirmModel) run() {
	d.ran = true
	d.c.pop()
	runPlans(d.c, d.plans, d.drill)
}

func (d *confirmModel) View() string {
	st := d.c.st
	var b strings.Builder
	p := d.plans[0]
	switch {
	case d.drill != nil:
		dr := d.drill
		b.WriteString(st.Detail.Title.Render(fmt.Sprintf("Restore drill of %s (%s)?", dr.Backup.Name, dr.Source.Name)))
		age := "unknown age"
		if !dr.At.IsZero() {
			age = fleet.FormatAge(d.c.now.Sub(dr.At)) + " old"
		}
		b.WriteString("\n" + st.Detail.Muted.Render(fmt.Sprintf("drill id %s · artefact %s", dr.ID, age)))
	case p.Kind == actions.KindSnapshot:
		b.WriteString(st.Detail.Title.Render(fmt.Sprintf("Take a snapshot of %s on %s?", p.Target, p.Host.Name)))
	case p.Kind == actions.KindRun && len(d.plans) == 1:
		b.WriteString(st.Detail.Title.Render(fmt.Sprintf("Run %s on %s?", p.Target, p.Host.Name)))
	case p.Kind == actions.KindRun:
		b.WriteString(st.Detail.Title.Render(fmt.Sprintf("Run %s on %d hosts?", p.Target, len(d.plans))))
		b.WriteString("\n" + st.Detail.Muted.Render(fmt.Sprintf("on every host at once, at most %d at a time", parallelOf(d.c.opt.Config))))
	case len(d.plans) == 1:
		b.WriteString(st.Detail.Title.Render(fmt.Sprintf("Restart %s on %s?", p.Target, p.Host.Name)))
	default:
		b.WriteString(st.Detail.Title.Render(fmt.Sprintf("Rolling restart of %s on %d hosts?", p.Target, len(d.plans))))
		b.WriteString("\n" + st.Detail.Muted.Render("one host at a time, waiting until it is healthy again; stops at the first failure"))
	}
	b.WriteString("\n\n")
	for _, p := range d.plans {
		host := p.Host.Name
		if p.Host.Prod() {
			host += " " + st.Prod.Label.Render(" PROD ")
		}
		if len(p.Steps) > 0 {
			b.WriteString("on " + host + "\n")
			for _, s := range p.Steps {
				b.WriteString("  " + st.Detail.Value.Render(s) + "\n")
			}
			continue
		}
		b.WriteString(host + "\n  " + st.Detail.Value.Render("$ "+p.Command) + "\n")
	}
	b.WriteString("\n")
	k := d.c.keys
	switch {
	case d.down != "":
		b.WriteString(st.Status.Crit.Render(d.down) + "\n")
		b.WriteString(st.Detail.Muted.Render("it would most likely wait for its timeout · " + k.Force.Help().Key + " try anyway · " + k.Back.Help().Key + " cancel"))
	case d.want == "":
		b.WriteString(st.Detail.Muted.Render(k.Confirm.Help().Key + " run · " + k.Deny.Help().Key + "/" + k.Back.Help().Key + " cancel"))
	default:
		b.WriteString(d.answer.view(st, d.want, "confirm"))
		b.WriteString("\n" + st.Detail.Muted.Render(k.Submit.Help().Key+" run · "+k.Back.Help().Key+" cancel"))
	}
	return modal(d.c, b.String())
}

// typedAnswer is a confirmation typed in a dialog: a host's name, a host
// count. Letters are text here; submit checks it.
type typedAnswer struct {
	typed    string
	mismatch bool // submitted, and not what was asked
}

// key edits the answer; it reports whether it was submitted and is want.
func (a *typedAnswer) key(k *KeyMap, km tea.KeyMsg, want string) (confirmed bool) {
	switch {
	case key.Matches(km, k.Submit):
		a.mismatch = a.typed != want
		return !a.mismatch
	case km.Type == tea.KeyBackspace && len(a.typed) > 0:
		a.typed = a.typed[:len(a.typed)-1]
	case km.Type == tea.KeyRunes && len(a.typed) < 64:
		a.typed += string(km.Runes)
	}
	return false
}

// view asks for want, "to what", shows what was typed and a mismatch.
func (a *typedAnswer) view(st *themes.Styles, want, what string) string {
	s := fmt.Sprintf("Type %s to %s: %s▏", st.Status.Warn.Render(want), what, fleet.Sanitize(a.typed, 64))
	if a.mismatch {
		s += "\n" + st.Status.Crit.Render("that is not "+want)
	}
	return s
}

// modal boxes a dialog's content, never wider than the terminal.
func modal(c *common, content string) string {
	width := min(lipgloss.Width(content)+4, max(20, c.width-4)) // padding 2+2; the border adds 2
	return c.st.Modal.Width(width).Render(content)
}

// withHelp is b with another description, for the footer of a dialog.
func withHelp(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}
