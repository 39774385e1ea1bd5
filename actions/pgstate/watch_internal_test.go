package pgstate

import "testing"

// A record committed after a later one (two writers) is still news once;
// a record seen is never news again, and one older than the lag window is
// history.
func TestCursor(t *testing.T) {
	c := newCursor()
	for _, s := range []int64{1, 2, 3} {
		c.take(s)
	}
	if !c.take(5) || !c.take(4) || c.take(4) || c.take(5) {
		t.Error("out-of-order record 4 after 5: want each news exactly once")
	}
	c.take(100)
	if c.take(100-lag) || !c.take(100-lag+1) {
		t.Error("lag window bounds")
	}
	if len(c.seen) > lag {
		t.Errorf("%d seen kept, want at most %d", len(c.seen), lag)
	}
	d := c.clone()
	d.take(101)
	if c.seen[101] {
		t.Error("a clone shares its seen set")
	}
}
