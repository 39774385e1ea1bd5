package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/fleet/probe"
	"github.com/opsdeck/opsdeck/fleet/sshx"
)

// shell is the command the dashboard's s runs (tui.ShellFunc): the system
// ssh with the options opsdeck itself uses for the host (user, port,
// identity files, known_hosts and policy, jump hosts); for this machine,
// the operator's own shell.
func shellOf(c *probe.Fleet, host string) (tea.ExecCommand, []string, error) {
	var argv []string
	if t, ok := c.Target(host); ok {
		if _, err := exec.LookPath("ssh"); err != nil {
			return nil, nil, errors.New("the ssh client is not installed (Debian: openssh-client)")
		}
		cfg := c.Config()
		a, err := sshx.ShellArgs(*t, sshx.KnownHostsFiles(cfg), cfg.Defaults.KnownHostsPolicy)
		if err != nil {
			return nil, nil, err
		}
		argv = a
	} else if h := c.Config().Host(host); h != nil && h.Local() {
		argv = []string{cmp.Or(os.Getenv("SHELL"), "/bin/sh")}
	}
	if len(argv) == 0 { // known only from its poller's series: not this machine
		return nil, nil, fmt.Errorf("no shell for host %s: it is not in this config, so opsdeck cannot reach it from here", host)
	}
	return &execCommand{exec.Command(argv[0], argv[1:]...)}, argv, nil
}

// execCommand is an exec.Cmd as bubbletea runs it (tea.ExecCommand).
type execCommand struct{ *exec.Cmd }

func (c *execCommand) SetStdin(r io.Reader) {
	if c.Stdin == nil {
		c.Stdin = r
	}
}

func (c *execCommand) SetStdout(w io.Writer) {
	if c.Stdout == nil {
		c.Stdout = w
	}
}

func (c *execCommand) SetStderr(w io.Writer) {
	if c.Stderr == nil {
		c.Stderr = w
	}
}
