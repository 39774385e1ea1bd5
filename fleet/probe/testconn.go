package probe

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/prom"
)

// TestConnections polls every SSH host once, the way the dashboard does
// (connect, then the light probe within the host's timeout), prints one
// line per host and returns the failures.
func TestConnections(ctx context.Context, out io.Writer, c *fleet.Config) int {
	conn, err := Connect(c)
	if err != nil {
		fmt.Fprintln(out, "FAIL  ", err)
		return 1
	}
	defer conn.Close()
	failed := 0
	if src := conn.Prom; src != nil {
		conn.Prom = nil // the SSH side is tested below, as without a source
		if !testProm(ctx, out, src, c) {
			failed++
		}
	}
	store := fleet.NewStore(c.Hosts)
	poller := fleet.NewPoller(c, store, func(h *fleet.Host) (fleet.Source, string) {
		if h.Local() {
			return nil, "local"
		}
		return conn.Checks(h), ""
	})
	defer poller.Close()
	poller.Once(ctx, fleet.Light)
	snap, _ := store.Snapshot()
	for i := range snap {
		st, h := &snap[i], snap[i].Host
		if h.Local() {
			continue
		}
		where := h.Endpoint()
		if h.Resolved.Via != "" {
			where += " via " + h.Resolved.Via
		}
		if st.Err != "" || st.Last == nil {
			failed++
			fmt.Fprintf(out, "FAIL  %s  %s: %s\n", h.Name, where, fleet.Sanitize(st.Err, fleet.MaxText))
			continue
		}
		fmt.Fprintf(out, "ok    %s  %s  %s\n", h.Name, where, st.RTT.Round(time.Millisecond))
	}
	return failed
}

// testProm asks the Prometheus source once and says which hosts it has
// no series of (polled over SSH instead); false when it fails.
func testProm(ctx context.Context, out io.Writer, src *prom.Source, c *fleet.Config) bool {
	src.Refresh(ctx)
	st := src.Status()
	if st.Err != "" {
		fmt.Fprintf(out, "FAIL  %s: %s\n", st.Name, st.Err)
		return false
	}
	var absent []string
	for i := range c.Hosts {
		if h := &c.Hosts[i]; PromMayCover(h) && src.Absent(ctx, h.Name) {
			absent = append(absent, h.Name)
		}
	}
	fmt.Fprintf(out, "ok    %s: %d of %d host(s) found", st.Name, src.Covered(), len(c.Hosts))
	if len(absent) > 0 {
		more := ""
		if len(absent) > 3 {
			absent, more = absent[:3], fmt.Sprintf(" and %d more", len(absent)-3)
		}
		fmt.Fprintf(out, "; not in it, so polled over SSH: %s%s", strings.Join(absent, ", "), more)
	}
	fmt.Fprintln(out)
	return true
}
