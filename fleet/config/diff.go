package config

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/opsdeck/opsdeck/fleet"
)

// Diff is what a reload changes, by host name.
type Diff struct {
	Added, Removed []string
	// Reconnect: how the host is reached changed (address, port, user,
	// identity files, jump): its connection is replaced.
	Reconnect []string
	// Changed: something else changed (services, backups, thresholds,
	// intervals…): its checks restart over the same connection.
	Changed []string
}

// Empty says whether the reload changes no host.
func (d Diff) Empty() bool {
	return len(d.Added)+len(d.Removed)+len(d.Reconnect)+len(d.Changed) == 0
}

// String is the header's summary: "+3 −1 ~2".
func (d Diff) String() string {
	return fmt.Sprintf("+%d −%d ~%d", len(d.Added), len(d.Removed), len(d.Reconnect)+len(d.Changed))
}

// Restart is every host whose poller must start again (Reconnect and
// Changed), as a set.
func (d Diff) Restart() map[string]bool {
	out := map[string]bool{}
	for _, n := range append(append([]string(nil), d.Reconnect...), d.Changed...) {
		out[n] = true
	}
	return out
}

// DiffHosts compares the hosts of two loads of a fleet.
func DiffHosts(old, cur []fleet.Host) Diff {
	var d Diff
	before := make(map[string]*fleet.Host, len(old))
	for i := range old {
		before[old[i].Name] = &old[i]
	}
	for i := range cur {
		h := &cur[i]
		o, ok := before[h.Name]
		switch {
		case !ok:
			d.Added = append(d.Added, h.Name)
		case !sameConnection(o, h):
			d.Reconnect = append(d.Reconnect, h.Name)
		case !sameSettings(o, h):
			d.Changed = append(d.Changed, h.Name)
		}
		delete(before, h.Name)
	}
	for i := range old {
		if _, gone := before[old[i].Name]; gone {
			d.Removed = append(d.Removed, old[i].Name)
		}
	}
	return d
}

func sameConnection(a, b *fleet.Host) bool {
	return a.Address == b.Address && a.Port == b.Port && a.User == b.User && a.Jump == b.Jump && a.ProxyJump == b.ProxyJump &&
		slices.Equal(a.IdentityFiles, b.IdentityFiles)
}

// sameSettings compares every setting of two hosts; where they were
// written (From, origins) and how the transport resolved them do not count.
func sameSettings(a, b *fleet.Host) bool {
	x, y := *a, *b
	x.From, y.From = "", ""
	x.Resolved, y.Resolved = fleet.Endpoint{}, fleet.Endpoint{}
	return reflect.DeepEqual(x, y)
}
