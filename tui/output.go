package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/actions"
)

// outputModel is the output pane of one action run, in the lower part of
// the screen with the fleet still in sight above it. The run lives in
// actions.Manager; the pane reads its output on the tick and never
// blocks it.
type outputModel struct {
	base
	run           *actions.Run
	lines         []string
	next          int // sequence number of the next line to read
	dropped       int // lines the run dropped before the pane read them
	width, height int
	grouped       *groupedView // a runbook command's hosts, grouped; nil for other runs
}

// maxOutputLines bounds what the output pane keeps.
const maxOutputLines = 500

func (o *outputModel) kind() kind       { return kindPane }
func (o *outputModel) SetSize(w, h int) { o.width, o.height = w, h }

func (o *outputModel) ShortHelp() []key.Binding {
	k := o.c.keys
	out := []key.Binding{withHelp(k.Back, "close")}
	if !o.run.Finished() {
		out = append(out, k.Cancel)
	}
	return append(out, withHelp(k.Output, "older runs"), k.Audit)
}

func (o *outputModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		o.read()
	case tea.KeyMsg:
		if o.grouped != nil {
			o.grouped.scroll(o.c.keys, msg, o.height)
		}
	}
	return o, nil
}

// read takes the run's new output.
func (o *outputModel) read() {
	if o.run.Hosts() != nil {
		if o.grouped == nil {
			o.grouped = &groupedView{}
		}
		o.grouped.build(o.c, o.run)
		return
	}
	lines, dropped, next := o.run.Lines(o.next)
	o.next, o.dropped = next, o.dropped+dropped
	o.lines = append(o.lines, lines...)
	if n := len(o.lines); n > maxOutputLines {
		o.lines = o.lines[n-maxOutputLines:]
	}
}

func (o *outputModel) View() string {
	if o.grouped != nil {
		return o.grouped.view(o.c, o.run, o.width, o.height)
	}
	st := o.c.st
	var b strings.Builder
	state := "running… (" + o.c.keys.Cancel.Help().Key + " cancels)"
	done := o.run.Finished()
	if done {
		state = "finished"
	}
	b.WriteString(st.Detail.Title.Render(o.run.Title) + " " + st.Detail.Muted.Render(state) + "\n")
	var tail []string
	if done {
		for _, res := range o.run.Results() {
			style := st.Status.OK
			if res.Outcome != actions.Succeeded {
				style = st.Status.Crit
			}
			tail = append(tail, style.Render(fmt.Sprintf("%s %s: %s", res.Plan.Host.Name, res.Plan.Target, actions.Describe(res))))
		}
	}
	room := max(0, o.height-1-len(tail))
	lines := o.lines
	if done && len(o.run.Results()) > 1 {
		lines = groupByHost(lines)
	}
	if o.dropped > 0 && room > 0 {
		b.WriteString(st.Detail.Muted.Render(fmt.Sprintf("… %d earlier lines not kept", o.dropped)) + "\n")
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

// showRun shows run in the output pane, opening it when it is not open.
func showRun(c *common, run *actions.Run) {
	if o, ok := find[*outputModel](c); ok {
		if o.run != run {
			*o = outputModel{base: base{c}, run: run, width: o.width, height: o.height}
			o.read()
		}
		if c.top() != o {
			c.push(o) // to the top, once
			removeBelow(c, o)
		}
		return
	}
	o := &outputModel{base: base{c}, run: run}
	o.read()
	c.push(o)
}

// removeBelow drops x from the stack except at the top.
func removeBelow(c *common, x component) {
	for i := len(c.stack) - 2; i >= 0; i-- {
		if c.stack[i] == x {
			c.stack = append(c.stack[:i], c.stack[i+1:]...)
		}
	}
}

// openOutput shows the newest run's output; pressed again in the output
// pane, the run before the one shown (wrapping round).
func openOutput(c *common) {
	runs := c.opt.Actions.Runs()
	if len(runs) == 0 {
		c.note("no action has run yet")
		return
	}
	pick := runs[len(runs)-1]
	if o, ok := c.top().(*outputModel); ok {
		for i, r := range runs {
			if r == o.run {
				pick = runs[(i-1+len(runs))%len(runs)]
			}
		}
	}
	showRun(c, pick)
}

// cancelRun cancels the shown run if it is running, else the newest
// running one: x works from any screen.
func cancelRun(c *common) {
	var target *actions.Run
	if o, ok := c.top().(*outputModel); ok && !o.run.Finished() {
		target = o.run
	} else {
		for _, r := range c.opt.Actions.Runs() {
			if !r.Finished() {
				target = r
			}
		}
	}
	if target == nil {
		c.note("no action is running")
		return
	}
	target.Cancel()
	c.note("cancelling %s…", target.Title)
}

// runTracker reports each run's end once, on the status line, and counts
// the runs still going for the header.
type runTracker struct {
	reported map[int]bool
	running  int
}

func (t *runTracker) poll(c *common) {
	if c.opt.Actions == nil {
		return
	}
	t.running = c.opt.Actions.Running()
	for _, r := range c.opt.Actions.Runs() {
		if !r.Finished() || t.reported[r.ID] {
			continue
		}
		t.reported[r.ID] = true
		rs := r.Results()
		ok := 0
		for _, x := range rs {
			if x.Outcome == actions.Succeeded && x.Err == nil {
				ok++
			}
		}
		switch {
		case len(rs) == 1 && ok == 1:
			c.note("%s: %s", r.Title, actions.Describe(rs[0]))
		case len(rs) == 1:
			c.fail("%s: %s", r.Title, actions.Describe(rs[0]))
		case ok == len(rs):
			c.note("%s: %d of %d succeeded", r.Title, ok, len(rs))
		default:
			c.fail("%s: %d of %d succeeded", r.Title, ok, len(rs))
		}
	}
}

// groupByHost folds the identical lines of several hosts ("web-1 | app:
// started", "web-2 | app: started") into one ("web-1,web-2 | app:
// started"), in the order they first appeared, as clush -b and dshbak -c
// do: what differs between hosts stands out.
func groupByHost(lines []string) []string {
	var order []string
	hosts := map[string][]string{}
	for _, l := range lines {
		host, text, ok := strings.Cut(l, " | ")
		if !ok {
			host, text = "", l
		}
		if _, seen := hosts[text]; !seen {
			order = append(order, text)
		}
		hosts[text] = append(hosts[text], host)
	}
	out := make([]string, 0, len(order))
	for _, text := range order {
		hs := hosts[text]
		if len(hs) == 1 && hs[0] == "" {
			out = append(out, text)
			continue
		}
		out = append(out, strings.Join(hs, ",")+" | "+text)
	}
	return out
}
