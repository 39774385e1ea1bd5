package tui

import (
	"errors"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/actions"
)

// ShellFunc builds the command that opens a shell on a host (the system
// ssh with opsdeck's options) and its argv, for the audit log.
type ShellFunc func(host string) (cmd tea.ExecCommand, argv []string, err error)

type shellReadyMsg struct {
	host    string
	cmd     tea.ExecCommand
	session *actions.Session
	err     error
}

type shellDoneMsg struct {
	host    string
	session *actions.Session
	err     error
}

type sessionClosedMsg struct{ err error }

// openShell suspends the dashboard for a shell on host, recorded in the
// audit log first (file I/O, so in a Cmd): who, when, where, the exact
// command. Off in read-only mode.
func openShell(c *common, host string) tea.Cmd {
	if why := readOnlyWhy(c.opt); why != "" {
		c.fail("shell is disabled: %s", why)
		return nil
	}
	if c.opt.Shell == nil || host == "" {
		c.note("no shell here")
		return nil
	}
	cmd, argv, err := c.opt.Shell(host)
	if err != nil {
		c.fail("shell on %s: %v", host, err)
		return nil
	}
	mgr, line := c.opt.Actions, strings.Join(argv, " ")
	return func() tea.Msg {
		s, err := mgr.OpenSession(host, actions.KindShell, line)
		return shellReadyMsg{host: host, cmd: cmd, session: s, err: err}
	}
}

// updateShell runs the shell once its start is recorded, and records its
// end.
func updateShell(c *common, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case shellReadyMsg:
		if msg.err != nil {
			c.fail("shell on %s not opened: %v", msg.host, msg.err)
			return nil
		}
		return tea.Exec(msg.cmd, func(err error) tea.Msg { return shellDoneMsg{host: msg.host, session: msg.session, err: err} })
	case shellDoneMsg:
		exit, err := 0, msg.err
		var ec interface{ ExitCode() int }
		if errors.As(err, &ec) {
			exit, err = ec.ExitCode(), nil
		}
		if err != nil {
			c.fail("shell on %s: %v", msg.host, err)
		} else {
			c.note("back from the shell on %s (exit %d)", msg.host, exit)
		}
		s := msg.session
		return func() tea.Msg { return sessionClosedMsg{s.Close(exit, err)} }
	case sessionClosedMsg:
		if msg.err != nil {
			c.fail("the end of the shell was not recorded: %v", msg.err)
		}
	}
	return nil
}
