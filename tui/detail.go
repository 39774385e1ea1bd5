package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/fleet"
)

// detailModel is one host's detail: connection, services, backups,
// security, resources, disks and history, scrolled in a viewport. Its
// items (services, then backups) are what r, n and d act on.
type detailModel struct {
	base
	host *fleet.Host
	item int // selected service or backup
	vp   viewport.Model
	gen  uint64 // the data generation rendered
}

func newDetailModel(c *common, h *fleet.Host) *detailModel {
	vp := viewport.New(0, 0)
	vp.KeyMap = viewport.KeyMap{Up: c.keys.Up, Down: c.keys.Down, PageUp: c.keys.PageUp, PageDown: c.keys.PageDown}
	d := &detailModel{base: base{c}, host: h, vp: vp}
	d.render()
	return d
}

func (d *detailModel) SetSize(w, h int) {
	d.vp.Width, d.vp.Height = w, max(1, h)
	d.render()
}

func (d *detailModel) items() (services, all int) {
	return len(d.host.Services), len(d.host.Services) + len(d.host.Backups)
}

// ShortHelp lists the keys that apply to this host: restart only with
// services, snapshot and drill only with backups.
func (d *detailModel) ShortHelp() []key.Binding {
	k := d.c.keys
	out := []key.Binding{k.Back}
	if len(d.host.Services) > 0 {
		out = append(out, k.Restart, k.Logs)
	}
	if len(d.host.Backups) > 0 {
		out = append(out, k.Snapshot, k.Drill)
	}
	return append(out, k.Refresh, k.Audit)
}

func (d *detailModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		if d.gen != d.c.data.gen { // at most once a second (ages), and only on news
			d.render()
		}
		return d, nil
	case tea.KeyMsg:
		return d, d.updateKey(msg)
	}
	return d, nil
}

func (d *detailModel) updateKey(msg tea.KeyMsg) tea.Cmd {
	k := d.c.keys
	nsvc, n := d.items()
	item := min(d.item, max(0, n-1))
	switch {
	case key.Matches(msg, k.Restart) && item < nsvc:
		openRestart(d.c, []*fleet.Host{d.host}, d.host.Services[item].Name)
	case key.Matches(msg, k.Restart):
		d.c.fail("select a service to restart (%s/%s)", k.Up.Help().Key, k.Down.Help().Key)
	case key.Matches(msg, k.Logs) && item < nsvc:
		openLog(d.c, d.host.Name, d.host.Services[item].Name)
	case key.Matches(msg, k.Logs):
		d.c.fail("select a service to read its log (%s/%s)", k.Up.Help().Key, k.Down.Help().Key)
	case key.Matches(msg, k.Snapshot), key.Matches(msg, k.Drill):
		if n == 0 || item < nsvc {
			d.c.fail("select a backup (%s/%s)", k.Up.Help().Key, k.Down.Help().Key)
			return nil
		}
		b := d.host.Backups[item-nsvc].Name
		if key.Matches(msg, k.Snapshot) {
			openSnapshot(d.c, d.host, b)
		} else if r, ok := d.c.data.row(d.host.Name); ok {
			openDrill(d.c, r, b)
		}
	case key.Matches(msg, k.Refresh):
		if d.c.opt.PollNow != nil {
			d.c.opt.PollNow(d.host.Name)
			d.c.note("polling %s now", d.host.Name)
		}
	case n > 0 && key.Matches(msg, k.Up):
		d.item = max(0, item-1)
		d.render()
	case n > 0 && key.Matches(msg, k.Down):
		d.item = min(n-1, item+1)
		d.render()
	default:
		var cmd tea.Cmd
		d.vp, cmd = d.vp.Update(msg)
		return cmd
	}
	return nil
}

func (d *detailModel) render() {
	d.gen = d.c.data.gen
	if r, ok := d.c.data.row(d.host.Name); ok {
		d.vp.SetContent(d.content(r))
	}
}

func (d *detailModel) View() string { return d.vp.View() }

func (d *detailModel) content(r *hostRow) string {
	st, h, s := d.c.st, r.status.Host, r.status.Last
	var b strings.Builder
	line := func(parts ...string) { b.WriteString(strings.Join(parts, " ") + "\n") }
	label := func(l string) string { return st.Detail.Label.Render(l) }
	title := st.Detail.Title.Render(h.Name)
	if h.Prod() {
		title = st.Prod.Band.Render("┃") + title + " " + st.Prod.Label.Render(" PROD ")
	} else if h.Env != "" {
		title += " " + st.Detail.Muted.Render(h.Env)
	}
	line(title, hostStateLabel(st, r.health), stateStyle(st, r.health.State).Render(r.reason()))
	conn := []string{label("address"), addressOf(h)}
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
		status = append(status, label("updated"), fleet.FormatAge(d.c.now.Sub(s.At))+" ago")
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
	if ps := hostProblems(r); len(ps) > 0 {
		b.WriteString("\n" + st.Detail.Section.Render("Problems") + "\n")
		for _, c := range ps {
			writeProblem(&b, d.c, problem{row: r, check: c}, d.vp.Width)
		}
	}
	if s == nil {
		return b.String()
	}
	if r.health.State.Old() {
		line(st.Status.Stale.Render(fmt.Sprintf("The values below are the last good data, %s old: they are not current.",
			fleet.FormatAge(d.c.now.Sub(s.At)))))
	}
	if s.Known(fleet.MetricUptime) {
		up := "uptime " + formatUptime(s.Uptime)
		if !s.BootTime.IsZero() {
			up += " since " + s.BootTime.In(d.c.opt.Location).Format("2006-01-02 15:04")
		}
		if r.health.State.Old() {
			up = st.Detail.Muted.Render(up + " (then)")
		}
		line(up)
	}
	b.WriteString("\n")
	sec := sections{c: d.c, r: r, item: d.item, old: r.health.State.Old()}
	sec.services(&b)
	sec.backups(&b)
	sec.security(&b)
	sec.resources(&b)
	sec.disks(&b)
	sec.history(&b)
	return strings.TrimRight(b.String(), "\n")
}

func addressOf(h *fleet.Host) string {
	if h.Remote {
		return "not in this config (known from its poller's series): opsdeck cannot reach it from here"
	}
	if h.Local() {
		return "local (this machine)"
	}
	return h.Endpoint()
}

func connState(s *fleet.HostStatus) string {
	switch {
	case s.Verdict != nil: // this machine does not poll it
		return "judged by its poller " + s.Verdict.By
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
