package tui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/opsdeck/opsdeck/fleet"
)

// problemsModel lists every failing check, worst first and newest first
// within a state, of one host or of the whole fleet: its full reason
// wrapped, since when, and what to do where that is known. ↑/↓ pick one,
// enter opens its host.
type problemsModel struct {
	base
	host   string // "" for the fleet
	vp     viewport.Model
	list   []problem
	cursor int
	starts []int  // the first line of each problem in the content
	gen    uint64 // the data generation rendered
}

func openProblems(c *common, host string) {
	vp := viewport.New(0, 0)
	vp.KeyMap = viewport.KeyMap{PageUp: c.keys.PageUp, PageDown: c.keys.PageDown}
	c.push(&problemsModel{base: base{c}, host: host, vp: vp})
}

func (p *problemsModel) SetSize(w, h int) {
	p.vp.Width, p.vp.Height = w, max(1, h)
	p.render()
}

func (p *problemsModel) ShortHelp() []key.Binding {
	k := p.c.keys
	out := []key.Binding{k.Up, k.Down}
	if p.host == "" {
		out = append(out, withHelp(k.Open, "its host"))
	}
	return append(out, withHelp(k.Back, "close"), k.History)
}

func (p *problemsModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		if p.gen != p.c.data.gen { // at most once a second (ages), and only on news
			p.render()
		}
	case tea.KeyMsg:
		k := p.c.keys
		switch {
		case key.Matches(msg, k.Open) && p.host == "" && len(p.list) > 0:
			p.c.push(newDetailModel(p.c, p.list[p.cursor].row.status.Host))
		case key.Matches(msg, k.Up, k.Down, k.Top, k.Bottom):
			p.cursor = max(0, min(moveCursor(k, msg, p.cursor, len(p.list), 1), len(p.list)-1))
			p.render()
			p.show()
		default:
			var cmd tea.Cmd
			p.vp, cmd = p.vp.Update(msg)
			return p, cmd
		}
	}
	return p, nil
}

// show scrolls the selected problem into sight.
func (p *problemsModel) show() {
	if p.cursor >= len(p.starts) {
		return
	}
	top, end := p.starts[p.cursor], p.vp.TotalLineCount()
	if p.cursor+1 < len(p.starts) {
		end = p.starts[p.cursor+1]
	}
	switch {
	case top < p.vp.YOffset:
		p.vp.SetYOffset(top)
	case end > p.vp.YOffset+p.vp.Height:
		p.vp.SetYOffset(min(top, end-p.vp.Height))
	}
}

func (p *problemsModel) View() string { return p.vp.View() }

// problem is one failing check of one host.
type problem struct {
	row   *hostRow
	check fleet.Check
}

func (p *problemsModel) render() {
	c := p.c
	p.gen = c.data.gen
	since := func(x problem) time.Time { // a change seen; the zero time for one failing at the first look
		if c.opt.Since != nil {
			if t, changed := c.opt.Since(x.row.status.Host.Name, x.check.Name); changed {
				return t
			}
		}
		return time.Time{}
	}
	p.list = p.list[:0]
	for i := range c.data.hosts {
		r := &c.data.hosts[i]
		if p.host != "" && r.status.Host.Name != p.host {
			continue
		}
		for _, chk := range hostProblems(r) {
			p.list = append(p.list, problem{r, chk})
		}
	}
	sort.SliceStable(p.list, func(i, j int) bool {
		if a, b := p.list[i].check.State, p.list[j].check.State; a != b {
			return a > b
		}
		return since(p.list[i]).After(since(p.list[j])) // what is new first
	})
	p.cursor = max(0, min(p.cursor, len(p.list)-1))
	what := "the fleet"
	if p.host != "" {
		what = p.host
	}
	var b strings.Builder
	b.WriteString(c.st.Detail.Title.Render("Problems") + " " + c.st.Detail.Muted.Render(
		fmt.Sprintf("of %s, worst and newest first: %s", what, plural(len(p.list), "failing check"))) + "\n\n")
	if len(p.list) == 0 {
		b.WriteString(c.st.Status.OK.Render("● nothing fails") + "\n")
	}
	p.starts = p.starts[:0]
	line := strings.Count(b.String(), "\n")
	for i, x := range p.list {
		p.starts = append(p.starts, line)
		var one strings.Builder
		one.WriteString(rowCursor(c, i == p.cursor && p.host == ""))
		writeProblem(&one, c, x, p.vp.Width-2)
		line += strings.Count(one.String(), "\n")
		b.WriteString(one.String())
	}
	p.vp.SetContent(strings.TrimRight(b.String(), "\n"))
}

// hostProblems are a host's failing checks; a host that does not answer
// is one problem, whatever its last data said.
func hostProblems(r *hostRow) []fleet.Check {
	if r.health.State.Old() || (r.health.State == fleet.Unknown && len(r.health.Checks) == 0) {
		if r.health.State == fleet.Unknown && r.status.Last == nil && r.status.Err == "" {
			return nil // not polled yet
		}
		return []fleet.Check{{Name: fleet.HostCheck, State: r.health.State, Reason: r.health.Reason}}
	}
	return r.problems()
}

// writeProblem writes one problem: state, host and check, since when, the
// reason wrapped to width, what to do.
func writeProblem(b *strings.Builder, c *common, x problem, width int) {
	st, h := c.st, x.row.status.Host
	head := stateLabel(st, x.check.State) + " " + st.Detail.Title.Render(h.Name) + " " + x.check.Name
	if c.opt.Since != nil {
		switch since, changed := c.opt.Since(h.Name, x.check.Name); {
		case changed:
			head += st.Detail.Muted.Render(fmt.Sprintf(" · since %s (%s)", since.In(c.opt.Location).Format("15:04:05"), fleet.FormatAge(c.now.Sub(since))))
		case !since.IsZero():
			head += st.Detail.Muted.Render(" · already so when first checked, " + since.In(c.opt.Location).Format("15:04:05"))
		}
	}
	wrap := lipgloss.NewStyle().Width(max(20, width-4))
	b.WriteString(head + "\n")
	b.WriteString(indent(wrap.Render(fleet.Sanitize(x.check.Reason, 1000)), "    ") + "\n")
	if kc := x.row.status.KeyChange; kc != nil && x.check.Name == fleet.HostCheck {
		b.WriteString(indent(wrap.Render(st.Status.Warn.Render("→ ")+keyChangeHelp(c, kc)), "    ") + "\n\n")
		return
	}
	if todo := remedy(c, h, x.check); todo != "" {
		b.WriteString(indent(wrap.Render(st.Status.Warn.Render("→ ")+todo), "    ") + "\n")
	}
	b.WriteString("\n")
}

func indent(s, by string) string {
	return by + strings.ReplaceAll(s, "\n", "\n"+by)
}

// remedy says what to do about a failing check, where it is known: the
// key to press or the command to read it with. Values in it are the
// host's own names, shown, never run.
func remedy(c *common, h *fleet.Host, chk fleet.Check) string {
	k, name, reason := c.keys, chk.Name, chk.Reason
	field := func(prefix string) string { return strings.TrimPrefix(name, prefix) }
	switch {
	case name == fleet.HostCheck && strings.Contains(reason, "banner"):
		return "sshd takes the connection but does not answer: the host is overloaded or sshd is hung; try its console"
	case name == fleet.HostCheck && strings.Contains(reason, "refused"):
		return "nothing listens on its SSH port: is sshd running? (from its console: systemctl status ssh)"
	case name == fleet.HostCheck && chk.State == fleet.Stale && c.banner != "" && !h.Local() && h.Resources != "ssh":
		return "its figures come from a shared source that is failing (the line under the header): they return with it"
	case name == fleet.HostCheck && chk.State == fleet.Stale:
		return "polls stopped arriving: " + k.Refresh.Help().Key + " polls it now"
	case strings.Contains(reason, "not in prometheus"), strings.Contains(reason, "has no series of it"):
		return `Prometheus has no figures of it: resources = "ssh" on the host reads them over SSH instead`
	case strings.Contains(reason, "up == 0"):
		return "Prometheus cannot scrape it: is its node_exporter running? (systemctl status prometheus-node-exporter)"
	case strings.HasPrefix(name, "disk "):
		return "see what grew: du -xh --max-depth=2 " + fleet.Sanitize(field("disk "), 200) + " | sort -h | tail"
	case strings.HasPrefix(name, "inodes "):
		return "many small files: find " + fleet.Sanitize(field("inodes "), 200) + " -xdev -type f | cut -d/ -f1-4 | sort | uniq -c | sort -n | tail"
	case name == "memory":
		return "the biggest: ps aux --sort=-rss | head"
	case name == "cpu", name == "load":
		return "the busiest: ps aux --sort=-%cpu | head"
	case strings.HasPrefix(name, "service ") && strings.Contains(reason, "FLAPPING"):
		return "it keeps dying: " + k.Logs.Help().Key + " in the host's detail follows its log, " + k.Restart.Help().Key + " restarts it"
	case strings.HasPrefix(name, "service ") && strings.Contains(reason, "not enabled at boot"):
		return "it would not come back after a reboot: enable it on the host (systemctl enable …)"
	case strings.HasPrefix(name, "service ") && chk.State == fleet.Crit:
		return k.Restart.Help().Key + " in the host's detail restarts it (the command is shown first)"
	case strings.HasPrefix(name, "backup ") && strings.Contains(reason, "drill history unknown"):
		return "no verdict on its drills until their record is read; a shared record is read again as soon as it answers"
	case strings.HasPrefix(name, "backup ") && strings.Contains(reason, "restore-tested"), strings.Contains(reason, "drill") && !strings.Contains(reason, "fail"):
		return k.Drill.Help().Key + " in the host's detail runs a restore drill of the newest artefact"
	case strings.HasPrefix(name, "backup ") && strings.Contains(reason, "fail"):
		return "the last drill failed: its output is in the audit log (" + k.Audit.Help().Key + ")"
	case strings.HasPrefix(name, "backup "):
		return k.Snapshot.Help().Key + " in the host's detail takes one now; then find why the scheduled job did not"
	case name == "sshd":
		return "harden sshd_config (the setting named above), then reload sshd"
	case name == "updates":
		return "apply them (apt-get upgrade / dnf upgrade)"
	case name == "reboot":
		return "reboot it when its services allow"
	case strings.HasPrefix(name, "cert "):
		return "renew the certificate before it expires"
	case strings.Contains(name, "ports"):
		return "bind the service to 127.0.0.1 or firewall the port"
	}
	return ""
}
