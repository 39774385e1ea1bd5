package fleettest

import (
	"syscall"
	"testing"
	"time"
)

// Eventually waits until cond holds, checking every 10 ms, and fails the
// test with what it waited for when within passes first. Tests wait for
// conditions, never for a fixed time.
func Eventually(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	EventuallyShow(tb, within, what, cond, nil)
}

// EventuallyShow is Eventually that, when it fails, also shows what it
// last saw (show: the screen, the status, the records).
func EventuallyShow(tb testing.TB, within time.Duration, what string, cond func() bool, show func() string) {
	tb.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			if show != nil {
				tb.Fatalf("waited %v for %s; last seen:\n%s", within, what, show())
			}
			tb.Fatalf("waited %v for %s", within, what)
		}
		<-tick.C
	}
}

// ProcessCPU is the CPU time (user and system) this process has used:
// benchmarks report the client's side of a poll with it.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
