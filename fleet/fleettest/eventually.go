package fleettest

import (
	"testing"
	"time"
)

// Eventually waits until cond holds, checking every 10 ms, and fails the
// test with what it waited for when within passes first. Tests wait for
// conditions, never for a fixed time.
func Eventually(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("waited %v for %s", within, what)
		}
		<-tick.C
	}
}
