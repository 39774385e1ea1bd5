package actions

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// Console is how a headless command shows an action before it runs, asks
// for it (or takes --yes), and says how it ended. Every refusal is
// recorded as cancelled.
type Console struct {
	In       io.Reader
	Out      io.Writer
	Terminal bool // In is a terminal to ask on
	Manager  *Manager
	ReadOnly bool
	// Yes runs without asking; a production host must be named in
	// Confirm as well (--confirm HOST), as the dashboard asks its name.
	Yes     bool
	Confirm []string
}

// ErrNotConfirmed is an action the operator did not confirm.
var ErrNotConfirmed = errors.New("not confirmed")

// ErrStopped is an action cancelled or interrupted while it ran.
var ErrStopped = errors.New("stopped")

// Ask shows p (its exact command, or its steps) and asks for it; in
// read-only mode it only shows (the manager refuses it, audited).
func (c *Console) Ask(p *Plan) error {
	fmt.Fprintf(c.Out, "%s %s on %s", p.Kind, p.Target, p.Host.Name)
	if p.Host.Prod() {
		fmt.Fprint(c.Out, " (PROD)")
	}
	fmt.Fprintln(c.Out)
	if len(p.Steps) > 0 {
		for _, s := range p.Steps {
			fmt.Fprintf(c.Out, "  %s\n", s)
		}
	} else {
		fmt.Fprintf(c.Out, "  command: %s\n", p.Command)
	}
	if c.ReadOnly {
		return nil
	}
	return c.AskAll([]*Plan{p})
}

// AskAll asks once for plans run together: under Yes every production
// host must be named in Confirm; else y, or what Confirmation wants typed
// (a production host's name), on the terminal.
func (c *Console) AskAll(plans []*Plan) error {
	err := c.confirmed(plans)
	if err != nil {
		for _, p := range plans {
			c.Manager.Cancelled(p)
		}
	}
	return err
}

func (c *Console) confirmed(plans []*Plan) error {
	if c.Yes {
		for _, p := range plans {
			if p.Host.Prod() && !slices.Contains(c.Confirm, p.Host.Name) {
				return fmt.Errorf("%w: %s is a production host and --yes is not enough; add --confirm %s", ErrNotConfirmed, p.Host.Name, p.Host.Name)
			}
		}
		return nil
	}
	if !c.Terminal {
		return fmt.Errorf("%w: no terminal to ask on; pass --yes to run without asking", ErrNotConfirmed)
	}
	want := Confirmation(plans)
	if want == "" {
		fmt.Fprint(c.Out, "Proceed? [y/N] ")
	} else {
		fmt.Fprintf(c.Out, "Type %q to confirm: ", want)
	}
	line, _ := bufio.NewReader(c.In).ReadString('\n')
	line = strings.TrimSpace(line)
	if (want == "" && (line == "y" || line == "yes")) || (want != "" && line == want) {
		return nil
	}
	return ErrNotConfirmed
}

// Said prints how r ended; an error unless it succeeded (ErrStopped
// for one cancelled or interrupted).
func (c *Console) Said(r Result) error {
	p := r.Plan
	switch r.Outcome {
	case Succeeded:
		fmt.Fprintf(c.Out, "%s %s on %s: succeeded in %s\n", p.Kind, p.Target, p.Host.Name, r.Duration.Round(time.Millisecond))
		return r.Err
	case Cancelled, Interrupted:
		return fmt.Errorf("%w: %s %s on %s: %s: %v", ErrStopped, p.Kind, p.Target, p.Host.Name, r.Outcome, r.Err)
	}
	return fmt.Errorf("%s %s on %s: %s: %v", p.Kind, p.Target, p.Host.Name, r.Outcome, r.Err)
}

// Lines is a run's output sink: each line prefixed with its host.
func (c *Console) Lines(host string) func(string) {
	return func(l string) { fmt.Fprintf(c.Out, "%s | %s\n", host, l) }
}

// WriteGroups prints a command's output on many hosts grouped as clush -b
// does: hosts with the same output together.
func WriteGroups(out io.Writer, groups []Group) {
	for _, g := range groups {
		rule := strings.Repeat("-", 15)
		fmt.Fprintf(out, "%s\n%s", rule, g.Label)
		switch {
		case g.Err != "":
			fmt.Fprintf(out, " — %s", g.Err)
		case g.Exit != 0:
			fmt.Fprintf(out, " — exit %d", g.Exit)
		}
		fmt.Fprintf(out, "\n%s\n", rule)
		if g.Dropped > 0 {
			fmt.Fprintf(out, "… %d earlier lines not kept (each host keeps its newest %d)\n", g.Dropped, HostLines)
		}
		for _, l := range g.Output {
			fmt.Fprintln(out, fleet.Sanitize(l, fleet.MaxText))
		}
	}
}
