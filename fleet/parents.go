package fleet

import (
	"fmt"
	"slices"
	"time"
)

// Behind is why a host cannot be reached now: a host on its way to it is
// DOWN (or refused for its host key). Root is that host, the top of the
// failing path; Via is the host's own parent it is behind (Root itself,
// or a host that is UNREACHABLE behind Root).
type Behind struct {
	Root  string
	Via   string
	State State     // Root's: DOWN or HOSTKEY
	Since time.Time // when Root's polls began to fail
}

// Reason is what a host behind b says: "behind host1 (DOWN since 14:02)".
func (b *Behind) Reason(loc *time.Location) string {
	if loc == nil {
		loc = time.Local
	}
	via := ""
	if b.Via != b.Root {
		via = " via " + b.Via
	}
	return fmt.Sprintf("behind %s%s (%s since %s)", b.Root, via, b.State, b.Since.In(loc).Format("15:04"))
}

// JumpParent is the fleet host a host's connections go through first: its
// jump host, or the one ssh_config's ProxyJump names; "" when none.
func (h *Host) JumpParent() string {
	if h.Jump != "" {
		return h.Jump
	}
	return h.Resolved.Jump
}

// ParentNames are every parent of the host: its jump host first, then the
// ones it names.
func (h *Host) ParentNames() []string {
	out := make([]string, 0, 1+len(h.Parents))
	if j := h.JumpParent(); j != "" {
		out = append(out, j)
	}
	for _, p := range h.Parents {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// failing says whether the host's own last poll failed because the host
// could not be reached (DOWN, HOSTKEY; not a host that answered late or
// whose command failed): what puts its children behind it.
func (st *HostStatus) failing() bool {
	return st.lastFailed() && !st.Slow && !st.Answered
}

// lastFailed says whether the host's last poll failed (no sample since
// its error): what Assess calls DOWN, SLOW or HOSTKEY.
func (st *HostStatus) lastFailed() bool {
	return st.Err != "" && (st.Last == nil || !st.ErrAt.Before(st.Last.At))
}

// PathDown names the jump host on h's way that cannot be reached now ("":
// the way is open, or h is reached directly): a poll of h would go
// through it, so the poller waits for it instead.
func (s *Store) PathDown(h *Host) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for j, depth := h.JumpParent(), 0; j != "" && depth < 32; depth++ {
		e, ok := s.byName[j]
		if !ok {
			return ""
		}
		if e.status.failing() {
			return j
		}
		j = e.status.Host.JumpParent()
	}
	return ""
}

// unreachable says whether a host behind a failing parent shows nothing
// newer than its parent's failure: its own state cannot be known, it is
// UNREACHABLE. A host that answered since (its path does not need that
// parent after all) keeps its own state while its data is fresh.
func (st *HostStatus) unreachable(now time.Time) bool {
	b := st.Behind
	if b == nil {
		return false
	}
	return st.Last == nil || st.Last.At.Before(b.Since) || st.failing() || st.Stale(now)
}

// behindOf works out where host e is behind, from its parents' states:
// its jump host failing or behind another, or every parent it names
// failing or behind one. Parents are looked up in byName; the config
// refuses cycles, depth bounds a broken one anyway.
func behindOf(e *entry, byName map[string]*entry, depth int) *Behind {
	h := e.status.Host
	if depth > 32 || h == nil {
		return nil
	}
	via := func(name string) *Behind {
		p, ok := byName[name]
		if !ok {
			return nil
		}
		if p.status.failing() {
			state := Down
			if p.status.KeyChange != nil {
				state = HostKey
			}
			return &Behind{Root: name, Via: name, State: state, Since: p.status.DownSince}
		}
		b := behindOf(p, byName, depth+1)
		if b == nil || (p.status.Last != nil && !p.status.Last.At.Before(b.Since)) {
			return nil // the parent answers, or answered since its own parent failed
		}
		return &Behind{Root: b.Root, Via: name, State: b.State, Since: b.Since}
	}
	if j := h.JumpParent(); j != "" {
		if b := via(j); b != nil {
			return b
		}
	}
	if len(h.Parents) == 0 {
		return nil
	}
	var first *Behind
	for _, name := range h.Parents {
		b := via(name)
		if b == nil {
			return nil // one path still stands
		}
		if first == nil {
			first = b
		}
	}
	return first
}

// linkParents indexes each host's children (hosts naming it a parent) and
// works out where every host is behind; s.mu is held.
func (s *Store) linkParents() {
	s.children = map[string][]*entry{}
	for _, e := range s.hosts {
		for _, p := range e.status.Host.ParentNames() {
			s.children[p] = append(s.children[p], e)
		}
	}
	for _, e := range s.hosts {
		s.setBehind(e)
	}
}

// refreshBehind works out again where every host below e is behind, after
// e's state changed; s.mu is held. A host with no children costs a map
// lookup.
func (s *Store) refreshBehind(e *entry) {
	kids := s.children[e.status.Host.Name]
	if len(kids) == 0 {
		return
	}
	seen := map[*entry]bool{e: true}
	for len(kids) > 0 {
		k := kids[0]
		kids = kids[1:]
		if seen[k] {
			continue
		}
		seen[k] = true
		s.setBehind(k)
		kids = append(kids, s.children[k.status.Host.Name]...)
	}
}

// setBehind sets e's Behind, marking e changed when it moved; s.mu is held.
func (s *Store) setBehind(e *entry) {
	b := behindOf(e, s.byName, 0)
	old := e.status.Behind
	if (b == nil) == (old == nil) && (b == nil || *b == *old) {
		return
	}
	e.status.Behind = b
	s.version++
	e.ver = s.version
}
