package oncall

import (
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// A config without [defaults] poll_interval gave the desk an interval of
// zero, and the dashboard read the on-call log in a loop (a core, with
// one host): Keep never reads without a pause.
func TestKeepEvery_NeverZero(t *testing.T) {
	for _, every := range []time.Duration{0, -time.Second} {
		if got := keepEvery(every); got != fleet.DefaultPollInterval {
			t.Errorf("keepEvery(%v) = %v, want %v", every, got, fleet.DefaultPollInterval)
		}
	}
	if got := keepEvery(2 * time.Second); got != 2*time.Second {
		t.Errorf("keepEvery(2s) = %v", got)
	}
}
