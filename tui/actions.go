package tui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
)

// dialogKind is the modal in front of the screen, if any.
type dialogKind int

const (
	dialogNone    dialogKind = iota
	dialogChoose             // choose the service to restart on the selected hosts
	dialogConfirm            // confirm plans
)

// dialog is the state of the modal.
type dialog struct {
	kind     dialogKind
	hosts    []*fleet.Host
	choices  []string // services shared by every host (dialogChoose)
	cursor   int
	plans    []*actions.Plan
	drill    *actions.Drill // set when the plan is a restore drill
	typed    string         // what the operator typed (typed confirmation)
	want     string         // what they must type; "" for a plain yes
	mismatch bool
	// down says which hosts the poller shows DOWN and why: the action would
	// most likely hang until its timeout, so it is not offered until the
	// operator asks to try anyway (f).
	down string
}

// runView is the action run shown in the output panel: what of its output
// the panel has read so far. The run itself lives in actions.Manager; the
// panel polls it on the tick and never blocks it.
type runView struct {
	run     *actions.Run
	lines   []string
	next    int // sequence number of the next line to read
	dropped int // lines the run dropped before the panel read them
}

// maxOutputLines bounds what the output panel keeps.
const maxOutputLines = 500

type auditMsg struct {
	entries []actions.Entry
	err     error
}

// loadAuditCmd reads the recent audit entries (file I/O, so in a Cmd).
func loadAuditCmd(a *actions.Audit) tea.Cmd {
	return func() tea.Msg {
		es, err := a.Recent(200)
		return auditMsg{entries: es, err: err}
	}
}

// flash shows a one-line message in the footer for a few seconds.
func (m *Model) flash(format string, args ...any) tea.Cmd {
	m.flashText = fmt.Sprintf(format, args...)
	m.flashUntil = m.now.Add(4 * time.Second)
	return nil
}

// selectedHosts are the hosts marked with space, or the one under the
// cursor when none is marked.
func (m *Model) selectedHosts() []*fleet.Host {
	var hs []*fleet.Host
	for i := range m.hosts {
		if m.marked[m.hosts[i].status.Host.Name] {
			hs = append(hs, m.hosts[i].status.Host)
		}
	}
	if len(hs) == 0 {
		if r, ok := m.selected(); ok {
			hs = append(hs, r.status.Host)
		}
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].Name < hs[j].Name })
	return hs
}

// startRestart opens the dialog for restarting on hosts: straight to the
// confirmation when the service is known, else a choice of the services
// the hosts share.
func (m *Model) startRestart(hosts []*fleet.Host, service string) tea.Cmd {
	if m.opt.Actions == nil || m.opt.ReadOnly {
		return m.flash("read-only: actions are disabled")
	}
	if len(hosts) == 0 {
		return nil
	}
	if service == "" {
		shared := sharedServices(hosts)
		if len(shared) == 0 {
			return m.flash("no service is configured on every selected host")
		}
		m.dlg = dialog{kind: dialogChoose, hosts: hosts, choices: shared}
		return nil
	}
	var plans []*actions.Plan
	for _, h := range hosts {
		p, err := actions.PlanRestart(h, service)
		if err != nil {
			return m.flash("%v", err)
		}
		plans = append(plans, p)
	}
	m.dlg = dialog{kind: dialogConfirm, hosts: hosts, plans: plans, want: actions.Confirmation(plans), down: m.downReason(plans)}
	return nil
}

func sharedServices(hosts []*fleet.Host) []string {
	count := map[string]int{}
	for _, h := range hosts {
		for _, s := range h.Services {
			count[s.Name]++
		}
	}
	var out []string
	for name, n := range count {
		if n == len(hosts) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// updateDialog handles keys while a dialog is open: it has the focus.
func (m *Model) updateDialog(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	d := &m.dlg
	switch d.kind {
	case dialogChoose:
		switch {
		case msg.Type == tea.KeyEsc || msg.String() == "n":
			m.dlg = dialog{}
		case msg.Type == tea.KeyUp:
			d.cursor = max(0, d.cursor-1)
		case msg.Type == tea.KeyDown:
			d.cursor = min(len(d.choices)-1, d.cursor+1)
		case msg.Type == tea.KeyEnter:
			return m, m.startRestart(d.hosts, d.choices[d.cursor])
		}
		return m, nil
	case dialogConfirm:
		if msg.Type == tea.KeyEsc || (d.want == "" && msg.String() == "n") {
			for _, p := range d.plans {
				m.opt.Actions.Cancelled(p)
			}
			m.dlg = dialog{}
			return m, m.flash("not confirmed: nothing was run")
		}
		if d.down != "" { // nothing runs until the operator asks to try anyway
			if msg.String() == "f" {
				d.down = ""
			}
			return m, nil
		}
		if d.want == "" {
			if msg.Type == tea.KeyEnter || msg.String() == "y" {
				return m, m.runConfirmed()
			}
			return m, nil
		}
		switch msg.Type {
		case tea.KeyEnter:
			if d.typed == d.want {
				return m, m.runConfirmed()
			}
			d.mismatch = true
		case tea.KeyBackspace:
			if len(d.typed) > 0 {
				d.typed = d.typed[:len(d.typed)-1]
			}
		case tea.KeyRunes:
			if len(d.typed) < 64 {
				d.typed += string(msg.Runes)
			}
		}
	}
	return m, nil
}

// startSnapshot asks to confirm a backup's snapshot command.
func (m *Model) startSnapshot(h *fleet.Host, backup string) tea.Cmd {
	if m.opt.Actions == nil || m.opt.ReadOnly {
		return m.flash("read-only: actions are disabled")
	}
	p, err := actions.PlanSnapshot(h, backup)
	if err != nil {
		return m.flash("%v", err)
	}
	m.dlg = dialog{kind: dialogConfirm, hosts: []*fleet.Host{h}, plans: []*actions.Plan{p}, want: actions.Confirmation([]*actions.Plan{p}),
		down: m.downReason([]*actions.Plan{p})}
	return nil
}

// startDrill asks to confirm a restore drill of the newest artefact the
// last backup check saw.
func (m *Model) startDrill(r *hostRow, backup string) tea.Cmd {
	if m.opt.Actions == nil || m.opt.ReadOnly {
		return m.flash("read-only: actions are disabled")
	}
	var newest *fleet.BackupStatus
	if r.status.Last != nil {
		for i := range r.status.Last.Backups {
			if r.status.Last.Backups[i].Name == backup {
				newest = &r.status.Last.Backups[i]
			}
		}
	}
	d, err := actions.PlanDrill(r.status.Host, backup, newest, m.opt.Config.Hosts, m.now)
	if err != nil {
		return m.flash("%v", err)
	}
	m.dlg = dialog{kind: dialogConfirm, hosts: []*fleet.Host{d.Plan.Host}, plans: []*actions.Plan{d.Plan}, drill: d,
		want: actions.Confirmation([]*actions.Plan{d.Plan}), down: m.downReason([]*actions.Plan{d.Plan})}
	return nil
}

// downReason names the plans' hosts the poller shows DOWN, with why.
func (m *Model) downReason(plans []*actions.Plan) string {
	var parts []string
	for _, p := range plans {
		i, ok := m.index[p.Host.Name]
		if !ok {
			continue
		}
		if h := m.hosts[i].health; h.State == fleet.Down {
			parts = append(parts, p.Host.Name+" is DOWN: "+fleet.Sanitize(h.Reason, 120))
		}
	}
	return strings.Join(parts, "\n")
}

// runConfirmed starts what the dialog confirmed.
func (m *Model) runConfirmed() tea.Cmd {
	return m.runPlans(m.dlg.plans, m.dlg.drill)
}

// runPlans starts confirmed plans: one host at once, or rolling when
// there are several; a drill is recorded in the drill history. Output
// streams into the output panel.
func (m *Model) runPlans(plans []*actions.Plan, drill *actions.Drill) tea.Cmd {
	m.dlg = dialog{}
	q := actions.Request{Plans: plans, Healthy: m.opt.Healthy, Drill: drill, Drills: m.opt.Drills}
	if store := m.opt.Store; drill != nil {
		q.OnDrill = store.RecordDrill
	}
	m.out = &runView{run: m.opt.Actions.Start(m.opt.Context, q)}
	m.showOutput = true
	return nil
}

// cancelRun cancels the shown run if it is running, else the newest
// running one: x works from any screen.
func (m *Model) cancelRun() tea.Cmd {
	var target *actions.Run
	if m.out != nil && !m.out.run.Finished() && m.showOutput {
		target = m.out.run
	} else {
		for _, r := range m.opt.Actions.Runs() {
			if !r.Finished() {
				target = r
			}
		}
	}
	if target == nil {
		return m.flash("no action is running")
	}
	target.Cancel()
	return m.flash("cancelling %s…", target.Title)
}

// openOutput shows the newest run's output; pressed again in the output
// panel, the run before the one shown (wrapping round).
func (m *Model) openOutput() tea.Cmd {
	runs := m.opt.Actions.Runs()
	if len(runs) == 0 {
		return m.flash("no action has run yet")
	}
	pick := runs[len(runs)-1]
	if m.showOutput && m.out != nil {
		for i, r := range runs {
			if r == m.out.run {
				pick = runs[(i-1+len(runs))%len(runs)]
			}
		}
	}
	if m.out == nil || m.out.run != pick {
		m.out = &runView{run: pick}
		m.pollRuns()
	}
	m.showOutput, m.showAudit = true, false
	return nil
}

// pollRuns reads new output of the shown run and reports each run that
// ended since the last tick.
func (m *Model) pollRuns() {
	if m.opt.Actions == nil {
		return
	}
	if v := m.out; v != nil {
		lines, dropped, next := v.run.Lines(v.next)
		v.next, v.dropped = next, v.dropped+dropped
		v.lines = append(v.lines, lines...)
		if n := len(v.lines); n > maxOutputLines {
			v.lines = v.lines[n-maxOutputLines:]
		}
	}
	m.running = m.opt.Actions.Running()
	for _, r := range m.opt.Actions.Runs() {
		if !r.Finished() || m.reported[r.ID] {
			continue
		}
		m.reported[r.ID] = true
		rs := r.Results()
		ok := 0
		for _, x := range rs {
			if x.Outcome == actions.Succeeded && x.Err == nil {
				ok++
			}
		}
		if len(rs) == 1 {
			m.flash("%s: %s", r.Title, actions.Describe(rs[0]))
		} else {
			m.flash("%s: %d of %d succeeded", r.Title, ok, len(rs))
		}
	}
}

// outputView is the output panel: the run's title and state, its last
// lines, and each result.
func (m *Model) outputView(height int) string {
	st := m.st
	v := m.out
	var b strings.Builder
	state := "running… (" + m.keys.Cancel.Help().Key + " cancels)"
	done := v.run.Finished()
	if done {
		state = "finished (esc closes)"
	}
	b.WriteString(st.Detail.Title.Render(v.run.Title) + " " + st.Detail.Muted.Render(state) + "\n")
	var tail []string
	var results []actions.Result
	if done {
		results = v.run.Results()
	}
	for _, res := range results {
		style := st.Status.OK
		if res.Outcome != actions.Succeeded {
			style = st.Status.Crit
		}
		tail = append(tail, style.Render(fmt.Sprintf("%s %s: %s", res.Plan.Host.Name, res.Plan.Target, actions.Describe(res))))
	}
	room := max(0, height-1-len(tail))
	lines := v.lines
	if v.dropped > 0 && room > 0 {
		b.WriteString(st.Detail.Muted.Render(fmt.Sprintf("… %d earlier lines not kept", v.dropped)) + "\n")
		room--
	}
	if len(lines) > room {
		lines = lines[len(lines)-room:]
	}
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	b.WriteString(strings.Join(tail, "\n"))
	return strings.TrimRight(b.String(), "\n")
}

// dialogView renders the open dialog.
func (m *Model) dialogView() string {
	st, d := m.st, &m.dlg
	var b strings.Builder
	switch d.kind {
	case dialogChoose:
		names := make([]string, len(d.hosts))
		for i, h := range d.hosts {
			names[i] = h.Name
		}
		b.WriteString(st.Detail.Title.Render("Restart which service?") + "\n")
		b.WriteString(st.Detail.Muted.Render("on "+strings.Join(names, ", ")) + "\n\n")
		for i, c := range d.choices {
			cursor := "  "
			if i == d.cursor {
				cursor = "▶ "
			}
			b.WriteString(cursor + c + "\n")
		}
		b.WriteString("\n" + st.Detail.Muted.Render("↑/↓ choose · enter next · esc cancel"))
	case dialogConfirm:
		p := d.plans[0]
		switch {
		case d.drill != nil:
			dr := d.drill
			b.WriteString(st.Detail.Title.Render(fmt.Sprintf("Restore drill of %s (%s)?", dr.Backup.Name, dr.Source.Name)))
			age := "unknown age"
			if !dr.At.IsZero() {
				age = fleet.FormatAge(m.now.Sub(dr.At)) + " old"
			}
			b.WriteString("\n" + st.Detail.Muted.Render(fmt.Sprintf("drill id %s · artefact %s", dr.ID, age)))
		case p.Kind == "snapshot":
			b.WriteString(st.Detail.Title.Render(fmt.Sprintf("Take a snapshot of %s on %s?", p.Target, p.Host.Name)))
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
		if d.down != "" {
			b.WriteString(st.Status.Crit.Render(d.down) + "\n")
			b.WriteString(st.Detail.Muted.Render("it would most likely wait for its timeout · f try anyway · esc cancel"))
		} else if d.want == "" {
			b.WriteString(st.Detail.Muted.Render("y / enter run · n / esc cancel"))
		} else {
			b.WriteString(fmt.Sprintf("Type %s to confirm: %s▏", st.Status.Warn.Render(d.want), d.typed))
			if d.mismatch {
				b.WriteString("\n" + st.Status.Crit.Render("that is not "+d.want))
			}
			b.WriteString("\n" + st.Detail.Muted.Render("enter run · esc cancel"))
		}
	}
	content := b.String()
	width := min(lipgloss.Width(content)+4, max(20, m.width-4)) // padding 2+2; the border adds 2
	return st.Modal.Width(width).Render(content)
}

// auditView lists recent audit entries, newest first.
func (m *Model) auditView(height int) string {
	st := m.st
	var b strings.Builder
	b.WriteString(st.Detail.Title.Render("Audit log") + " " + st.Detail.Muted.Render(m.opt.Actions.Audit.Path+" (esc closes)") + "\n")
	if m.auditErr != nil {
		b.WriteString(st.Status.Crit.Render("cannot read the audit log: "+m.auditErr.Error()) + "\n")
	}
	if len(m.auditEntries) == 0 {
		b.WriteString(st.Detail.Muted.Render("no actions recorded yet"))
	}
	for i := len(m.auditEntries) - 1; i >= 0 && b.Len() > 0 && strings.Count(b.String(), "\n") < height; i-- {
		e := m.auditEntries[i]
		style := st.Status.OK
		switch e.Outcome {
		case actions.Failed:
			style = st.Status.Crit
		case actions.Refused, actions.Cancelled, actions.Interrupted, actions.Started:
			style = st.Status.Warn
		}
		line := fmt.Sprintf("%s %-9s %s %s %s on %s", e.Time.Local().Format("01-02 15:04:05"), style.Render(e.Outcome),
			fleet.Sanitize(e.Operator, 40), e.Kind, fleet.Sanitize(e.Target, 40), fleet.Sanitize(e.Host, 40))
		if e.Command != "" {
			line += st.Detail.Muted.Render(" $ " + fleet.Sanitize(e.Command, 300))
		}
		if e.Outcome == actions.Started {
			line += st.Detail.Muted.Render(" — no result recorded (running, or opsdeck stopped)")
		}
		if e.Reason != "" {
			line += st.Detail.Muted.Render(" — " + fleet.Sanitize(e.Reason, 200))
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
