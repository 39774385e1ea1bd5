// Package sshx is opsdeck's SSH transport: persistent connections with
// strict host-key checking, key-only authentication, jump hosts, keepalives
// and a deadline on every blocking step.
package sshx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/opsdeck/opsdeck/fleet"
)

// Kind classifies a connection failure for the operator.
type Kind int

// Failure kinds.
const (
	KindOther Kind = iota
	KindRefused
	KindTimeout
	KindDNS
	KindUnreachable
	KindAuth
	KindHostKeyUnknown
	KindHostKeyChanged
	KindJumpDown
	KindCommand
	// KindSlow: the host answers (the command started) but the command did
	// not finish in time. The host is alive; its data is late.
	KindSlow
	// KindNoBanner: the port takes the connection but no SSH banner comes
	// (an overloaded host, a hung sshd). Said as a timeout.
	KindNoBanner
)

var kindNames = map[Kind]string{
	KindOther: "error", KindRefused: "refused", KindTimeout: "timeout", KindDNS: "DNS",
	KindUnreachable: "unreachable", KindAuth: "auth failed", KindHostKeyUnknown: "host key unknown",
	KindHostKeyChanged: "KEY CHANGED", KindJumpDown: "jump host down", KindCommand: "command failed", KindSlow: "slow", KindNoBanner: "timeout",
}

func (k Kind) String() string { return kindNames[k] }

// Error is a classified transport failure. Its message is written for the
// operator: what failed, where, and what to do when that is clear.
type Error struct {
	Kind Kind
	Msg  string
	Err  error
}

// changedKeyError is a KindHostKeyChanged Error about a key that differs
// from the one known_hosts holds, with the change (fleet.KeyChange).
type changedKeyError struct {
	err    *Error
	change *fleet.KeyChange
}

func (e *changedKeyError) Error() string { return e.err.Error() }
func (e *changedKeyError) Unwrap() error { return e.err }

// KeyChange is the changed host key the error is about.
func (e *changedKeyError) KeyChange() *fleet.KeyChange { return e.change }

func (e *Error) Error() string {
	return e.Kind.String() + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// HostCause is what the failure means for the host (fleet.Causer): the
// dashboard's remedies decide on it, never on the message's words.
func (e *Error) HostCause() fleet.Cause {
	switch e.Kind {
	case KindRefused:
		return fleet.CauseRefused
	case KindNoBanner:
		return fleet.CauseNoBanner
	case KindSlow:
		return fleet.CauseSlow
	case KindHostKeyChanged:
		return fleet.CauseKeyChanged
	}
	return fleet.CauseDown
}

// Slow reports whether the host answered but too late: the fleet shows it
// as SLOW, not DOWN.
func (e *Error) Slow() bool { return e.Kind == KindSlow }

// Answered says whether the host answered over SSH and failed only the
// command (fleet's answered): its connection stands, so hosts that jump
// through it can still be reached.
func (e *Error) Answered() bool { return e.Kind == KindCommand || e.Kind == KindSlow }

// KindOf returns the kind of a transport error (KindOther when unclassified).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindOther
}

// classify turns a dial or handshake error into an *Error for host at addr.
func classify(err error, addr string) error {
	if err == nil {
		return nil
	}
	var ck *changedKeyError
	if errors.As(err, &ck) {
		return ck // with the change it is about
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var dnsErr *net.DNSError
	var netErr net.Error
	msg := err.Error()
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return &Error{KindRefused, "connection refused by " + addr + " (is sshd running?)", err}
	case errors.As(err, &dnsErr):
		return &Error{KindDNS, "cannot resolve " + dnsErr.Name + ": " + dnsErr.Err, err}
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return &Error{KindUnreachable, addr + " is unreachable", err}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return &Error{KindTimeout, "no answer from " + addr + " in time", err}
	case strings.Contains(msg, "unable to authenticate"):
		return &Error{KindAuth, "no key was accepted by " + addr + " (" + strings.TrimPrefix(msg, "ssh: handshake failed: ") + ")", err}
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, syscall.ECONNRESET):
		return &Error{KindOther, "connection to " + addr + " closed during setup (not an SSH server, or sshd's MaxStartups dropped it)", err}
	}
	return &Error{KindOther, fmt.Sprintf("%s: %v", addr, err), err}
}
