// Command opsdeck is a terminal dashboard for on-call operators: it watches
// a fleet of servers (resources, services, backups) and shows each as what
// it is — OK, WARN, CRIT, DOWN, STALE or UNKNOWN — with the reason.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes of opsdeck (opsdeck check will follow the monitoring-plugin
// convention instead).
const (
	exitOK       = 0
	exitRuntime  = 1
	exitConfig   = 2
	exitCanceled = 130
)

// exitError carries the exit code an error should produce.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code, err}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		if ee.err != errSilent {
			fmt.Fprintln(os.Stderr, "opsdeck:", ee.err)
		}
		return ee.code
	case errors.Is(err, context.Canceled):
		return exitCanceled
	}
	// Usage errors from cobra (unknown flag, wrong arguments).
	fmt.Fprintln(os.Stderr, "opsdeck:", err)
	fmt.Fprintln(os.Stderr, "Run 'opsdeck --help' for usage.")
	if c, _, ferr := root.Find(args); ferr == nil && c.Name() == "check" {
		return checkUnknown // the monitoring-plugin convention
	}
	return exitConfig
}

// errSilent is returned when the command already printed what went wrong.
var errSilent = errors.New("")
