package pg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

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

// A database error says its cause first, short when the network's, then
// the database; the cause stays reachable.
func TestDBError(t *testing.T) {
	db := &DB{where: "postgres://ops@db:5432/opsdeck"}
	refused := fmt.Errorf("failed to connect to `user=ops`: dial error: %w",
		&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})
	for _, c := range []struct {
		what  string
		cause error
		want  string
	}{
		{"audit record not written", refused, "audit record not written: database unreachable: connection refused (postgres://ops@db:5432/opsdeck)"},
		{"", fmt.Errorf("read: %w", context.DeadlineExceeded), "no answer within 10s (postgres://ops@db:5432/opsdeck)"},
		{"target lock not taken", errors.New("ERROR: permission denied for table opsdeck_locks (SQLSTATE 42501)"),
			"target lock not taken: ERROR: permission denied for table opsdeck_locks (SQLSTATE 42501) (postgres://ops@db:5432/opsdeck)"},
	} {
		err := db.errDB(c.what, c.cause)
		if err.Error() != c.want {
			t.Errorf("%q\nwant %q", err, c.want)
		}
		if !errors.Is(err, c.cause) {
			t.Errorf("%q: the cause is lost", err)
		}
	}
	if !errors.Is(db.errDB("x", refused), syscall.ECONNREFUSED) {
		t.Error("the errno is not reachable")
	}
}
