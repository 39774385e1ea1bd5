// Package actions is what an operator can do to the fleet: restart a
// service, take a snapshot, run a restore drill. Every action
// is planned first — host, target, the exact command, whether it disrupts —
// then confirmed in proportion to its blast radius, refused in read-only
// mode, run with a timeout and a cancel, and appended to the audit log. It
// runs only commands built from the configuration: no free-form shell.
// It knows nothing about terminals.
package actions

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// DefaultTimeout bounds an action that sets none.
const DefaultTimeout = 2 * time.Minute

// Kind is what an action (or an audit record) is: code compares these,
// never a literal.
type Kind string

// The kinds of actions; the on-call package adds its own (ack, silence).
const (
	KindRestart  Kind = "restart"
	KindSnapshot Kind = "snapshot"
	KindDrill    Kind = "drill"
	KindRun      Kind = "run"       // a runbook command
	KindShell    Kind = "shell"     // an interactive shell, audited as a session
	KindTrustKey Kind = "trust-key" // a host key added to known_hosts
)

// Plan is one action on one host, fully resolved before anything runs.
type Plan struct {
	Kind       Kind
	Host       *fleet.Host
	Target     string // the service name
	Command    string // exactly what will run on the host
	Disruptive bool
	Timeout    time.Duration
	// Steps describe a long command for the confirmation (a drill's
	// restore, verify and cleanup, as they will run); empty for a command
	// short enough to show as it is.
	Steps []string
	// ReadOnlyOK: an inspect command the config allows in read-only mode.
	ReadOnlyOK bool
}

// ErrNoRestart is returned for a process service without a restart command.
var ErrNoRestart = errors.New("no restart command configured")

// RestartCommand is the command that restarts a service: its kind's
// (fleet.ServiceKinds), every value quoted, or for kind process the
// configured restart command.
func RestartCommand(s *fleet.Service) (string, error) {
	return serviceCommand(s, s.Restart, "restart", ErrNoRestart, func(k *fleet.ServiceKind) func() string {
		if k.Restart == nil {
			return nil
		}
		return func() string { return k.Restart(s) }
	})
}

// serviceCommand is a command for a service: its kind's (kindCmd gives it,
// nil for a kind that runs the service's own), else own, the config field
// named field (none when it is not set), with sudo -n when the service
// wants it.
func serviceCommand(s *fleet.Service, own, field string, none error, kindCmd func(*fleet.ServiceKind) func() string) (string, error) {
	k := fleet.ServiceKindNamed(s.Kind)
	if k == nil {
		return "", fmt.Errorf("service %s: unknown kind %q", s.Name, s.Kind)
	}
	var cmd string
	if f := kindCmd(k); f != nil {
		cmd = f()
	} else {
		if strings.TrimSpace(own) == "" {
			return "", fmt.Errorf("service %s: %w (set %s = \"…\" for kind %s)", s.Name, none, field, s.Kind)
		}
		cmd = own // written by the operator in the config, run as written
	}
	return fleet.WithSudo(s.Sudoed(), cmd), nil
}

// PlanRestart plans the restart of a configured service of h.
func PlanRestart(h *fleet.Host, service string) (*Plan, error) {
	for i := range h.Services {
		s := &h.Services[i]
		if s.Name != service {
			continue
		}
		cmd, err := RestartCommand(s)
		if err != nil {
			return nil, err
		}
		return &Plan{Kind: KindRestart, Host: h, Target: s.Name, Command: cmd, Disruptive: true, Timeout: DefaultTimeout}, nil
	}
	names := make([]string, len(h.Services))
	for i := range h.Services {
		names[i] = h.Services[i].Name
	}
	msg := fmt.Sprintf("host %s has no service %q", h.Name, service)
	if len(names) > 0 {
		msg += " (services: " + strings.Join(names, ", ") + ")"
	}
	return nil, errors.New(msg)
}

// Confirmation is what the operator must do to confirm plans: "" means a
// plain yes (y or enter); otherwise they must type exactly this text — the
// host name for a production host, the number of hosts for any action on
// more than one. A y/N habit must not be enough to restart prod.
func Confirmation(plans []*Plan) string {
	hosts := map[string]bool{}
	prod := ""
	for _, p := range plans {
		hosts[p.Host.Name] = true
		if p.Host.Prod() {
			prod = p.Host.Name
		}
	}
	switch {
	case len(hosts) > 1:
		return fmt.Sprint(len(hosts))
	case prod != "":
		return prod
	}
	return ""
}
