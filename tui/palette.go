package tui

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/list"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/config"
)

// paletteModel offers the runbook commands of the config that apply to
// some hosts; typing narrows the list (fuzzy, as bubbles' list filters),
// enter runs the chosen one. What is typed here only picks a command of
// the config: it never reaches a host.
type paletteModel struct {
	dialogBase
	hosts   []*fleet.Host
	entries []paletteEntry
	shown   []int // indexes into entries matching what is typed, best first
	typed   string
	cursor  int
}

// paletteEntry is one command as the palette offers it.
type paletteEntry struct {
	cmd   fleet.Command // as the first host that has it declares it
	on    int           // how many of the hosts have it
	helps bool          // it is for the check of the problem the palette was opened on
}

// openPalette opens the palette for hosts; forKind, when set, puts the
// commands for that kind of check first.
func openPalette(c *common, hosts []*fleet.Host, forKind fleet.CheckKind) {
	if c.opt.Actions == nil {
		c.fail("runbook commands are not available here: actions are off")
		return
	}
	if len(hosts) == 0 {
		return
	}
	byName := map[string]int{}
	var entries []paletteEntry
	for _, h := range hosts {
		for _, cmd := range h.Commands {
			i, ok := byName[cmd.Name]
			if !ok {
				i = len(entries)
				byName[cmd.Name] = i
				helps := forKind != fleet.KindUnset && slices.Contains(cmd.For, forKind.String())
				entries = append(entries, paletteEntry{cmd: cmd, helps: helps})
			}
			entries[i].on++
		}
	}
	if len(entries) == 0 {
		c.fail("no runbook command is configured for %s ([[commands]] in the config)", hostsLabel(hosts))
		return
	}
	sort.SliceStable(entries, func(a, b int) bool {
		if entries[a].helps != entries[b].helps {
			return entries[a].helps
		}
		return entries[a].cmd.Name < entries[b].cmd.Name
	})
	p := &paletteModel{dialogBase: dialogBase{base{c}}, hosts: hosts, entries: entries}
	p.filter()
	c.push(p)
}

// hostsLabel folds host names as a node set: web[01-04] (4), or the one
// name.
func hostsLabel(hosts []*fleet.Host) string {
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.Name
	}
	return actions.NodeSet(names)
}

func (p *paletteModel) ShortHelp() []key.Binding {
	k := p.c.keys
	return []key.Binding{withHelp(k.Submit, "run"), key.NewBinding(key.WithHelp("↑/↓", "choose")), withHelp(k.Back, "close")}
}

func (p *paletteModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return p, nil
	}
	k := p.c.keys
	switch {
	case key.Matches(km, k.Back):
		p.c.pop()
	case key.Matches(km, k.Submit):
		if len(p.shown) > 0 {
			e := p.entries[p.shown[p.cursor]]
			p.c.pop()
			startCommand(p.c, p.hosts, e.cmd.Name)
		}
	case km.Type == tea.KeyUp || km.Type == tea.KeyCtrlP:
		p.cursor = max(0, p.cursor-1)
	case km.Type == tea.KeyDown || km.Type == tea.KeyCtrlN:
		p.cursor = max(0, min(len(p.shown)-1, p.cursor+1))
	case km.Type == tea.KeyBackspace && p.typed != "":
		r := []rune(p.typed)
		p.typed = string(r[:len(r)-1])
		p.filter()
	case (km.Type == tea.KeyRunes || km.Type == tea.KeySpace) && len(p.typed) < 64:
		p.typed += string(km.Runes)
		p.filter()
	}
	return p, nil
}

// filter ranks the commands by what is typed: fuzzy on the name, the
// best match first.
func (p *paletteModel) filter() {
	p.shown = p.shown[:0]
	if strings.TrimSpace(p.typed) == "" {
		for i := range p.entries {
			p.shown = append(p.shown, i)
		}
	} else {
		names := make([]string, len(p.entries))
		for i, e := range p.entries {
			names[i] = e.cmd.Name
		}
		for _, r := range list.DefaultFilter(strings.TrimSpace(p.typed), names) {
			p.shown = append(p.shown, r.Index)
		}
	}
	p.cursor = max(0, min(p.cursor, len(p.shown)-1))
}

func (p *paletteModel) View() string {
	st, k := p.c.st, p.c.keys
	width := max(20, p.c.width-10)
	var b strings.Builder
	b.WriteString(st.Detail.Title.Render("Run a command on "+hostsLabel(p.hosts)) + "\n")
	b.WriteString("> " + fleet.Sanitize(p.typed, 64) + "▏\n\n")
	if len(p.shown) == 0 {
		b.WriteString(st.Detail.Muted.Render("no command matches") + "\n")
	}
	nameW := 0
	for _, e := range p.entries {
		nameW = max(nameW, len(e.cmd.Name))
	}
	rows := max(3, min(12, p.c.height/2))
	first := max(0, min(p.cursor-rows/2, len(p.shown)-rows))
	for n, i := range p.shown[first:min(len(p.shown), first+rows)] {
		e := p.entries[i]
		cursor := "  "
		if first+n == p.cursor {
			cursor = "▶ "
		}
		tags := ""
		if e.on < len(p.hosts) {
			tags += fmt.Sprintf(" · on %d of %d", e.on, len(p.hosts))
		}
		if e.cmd.Key != "" {
			tags += " · key " + e.cmd.Key
		}
		if e.helps {
			tags += " · for this problem"
		}
		if p.c.opt.ReadOnly && !(e.cmd.Kind == "inspect" && e.cmd.ReadOnlyOK) {
			tags += " · off: read-only"
		}
		line := fmt.Sprintf("%s%-*s  %-7s%s  $ %s", cursor, nameW, e.cmd.Name, e.cmd.Kind, tags, e.cmd.Command)
		b.WriteString(fit(line, width) + "\n")
	}
	b.WriteString("\n" + st.Detail.Muted.Render(fit(k.Submit.Help().Key+" run · ↑/↓ choose · "+k.Back.Help().Key+" close · typing filters, never runs", width)))
	return modal(p.c, b.String())
}

// startCommand runs the runbook command name on the hosts that have it:
// an inspect command at once, a change command after the confirmation a
// restart asks for. The hosts that lack it are named.
func startCommand(c *common, hosts []*fleet.Host, name string) {
	if c.opt.Actions == nil {
		c.fail("%s is not available here: actions are off", name)
		return
	}
	var plans []*actions.Plan
	var lack []*fleet.Host
	for _, h := range hosts {
		p, err := actions.PlanCommand(h, name)
		if err != nil {
			lack = append(lack, h)
			continue
		}
		plans = append(plans, p)
	}
	switch {
	case len(plans) == 0:
		c.fail("%s has no command %q", hostsLabel(hosts), name)
		return
	case c.opt.ReadOnly && !plans[0].ReadOnlyOK:
		c.fail("%s is disabled: read-only mode runs only inspect commands with read_only_ok = true", name)
		return
	case len(lack) > 0:
		c.note("%s is not configured on %s: not run there", name, hostsLabel(lack))
	}
	if plans[0].Disruptive {
		openConfirm(c, plans, nil)
		return
	}
	runPlans(c, plans, nil)
}

// parallelOf is how many hosts a runbook command runs on at once.
func parallelOf(cfg *fleet.Config) int {
	if cfg == nil || cfg.Defaults.Parallel <= 0 {
		return config.DefaultParallel
	}
	return cfg.Defaults.Parallel
}

// runTargets are the hosts a runbook command is for, from what is on top:
// the problem picked in the problems pane (a group: each of its hosts;
// and its check's kind), the
// host whose detail is open, else the hosts selected with space, else
// every host the filter shows, else the one under the cursor.
func (m *Model) runTargets() ([]*fleet.Host, fleet.CheckKind) {
	c := m.c
	if p, ok := c.top().(*problemsModel); ok && len(p.items) > 0 {
		it := p.items[p.cursor]
		return it.hosts(), it.xs[0].check.Kind
	}
	if d, ok := find[*detailModel](c); ok {
		return []*fleet.Host{d.host}, fleet.KindUnset
	}
	t := m.table
	if len(t.marked) == 0 && t.filter != "" {
		var hs []*fleet.Host
		for _, i := range t.visible {
			hs = append(hs, c.data.hosts[i].status.Host)
		}
		return hs, fleet.KindUnset
	}
	return t.selectedHosts(), fleet.KindUnset
}
