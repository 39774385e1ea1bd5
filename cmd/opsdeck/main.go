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
	"time"

	"github.com/opsdeck/opsdeck/fleet/sshx"
)

// Exit codes of opsdeck; opsdeck check follows the monitoring-plugin
// convention instead (checkOK … checkUnknown).
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
	ctx, stop := interruptible(context.Background(), func(msg string) {
		fmt.Fprintln(os.Stderr, "opsdeck:", msg)
		os.Exit(exitCanceled)
	})
	endProfile := startProfile()
	code := run(ctx, os.Args[1:])
	endProfile()
	stop()
	os.Exit(code)
}

// stopWithin bounds how long opsdeck may take to stop after SIGINT or
// SIGTERM: an action in flight gets its grace to clean up, nothing more.
const stopWithin = sshx.ExecGrace + 5*time.Second

// interruptible returns a context that the first SIGINT or SIGTERM cancels,
// with "interrupted by SIGTERM" as its cause: every command stops and
// reports what it has. A second signal, or the first one not obeyed within
// stopWithin, calls exit at once.
func interruptible(parent context.Context, exit func(msg string)) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		var first os.Signal
		select {
		case first = <-sigs:
		case <-done:
			return
		}
		cancel(fmt.Errorf("interrupted by %s", signalName(first)))
		t := time.NewTimer(stopWithin)
		select {
		case sig := <-sigs:
			exit(fmt.Sprintf("second %s: exiting at once", signalName(sig)))
		case <-t.C:
			exit(fmt.Sprintf("did not stop within %s of %s: exiting", stopWithin, signalName(first)))
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
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
