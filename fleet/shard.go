package fleet

import (
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// Shard is one poller's share of a fleet: shard I of N, I from 0 (as a
// StatefulSet's ordinal), by the function of Prometheus' hashmod relabel
// action over the host name — md5, its low 8 bytes as a big-endian
// integer, modulo N — so that a relabel rule reproduces the split, and a
// host changes shard only when N changes. The zero Shard is the whole
// fleet.
type Shard struct{ I, N int }

// ParseShard reads "I/N" ("" is the whole fleet).
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{}, nil
	}
	i, n, ok := strings.Cut(s, "/")
	si, err1 := strconv.Atoi(i)
	sn, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || sn < 1 || si < 0 || si >= sn {
		return Shard{}, fmt.Errorf("shard %q: use I/N, I from 0 to N-1 (2/4 is the third of four)", s)
	}
	return Shard{I: si, N: sn}, nil
}

// String is "I/N"; "" for the whole fleet.
func (s Shard) String() string {
	if s.N == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.I, s.N)
}

// ShardOf is the shard of n a host name falls in: Prometheus' hashmod.
func ShardOf(name string, n int) int {
	sum := md5.Sum([]byte(name))
	return int(binary.BigEndian.Uint64(sum[8:]) % uint64(n))
}

// Has says whether the host named is the shard's to watch.
func (s Shard) Has(name string) bool { return s.N <= 1 || ShardOf(name, s.N) == s.I }

// Take is the hosts the shard polls: its own, and the hosts on their way
// (jump hosts and parents, up the chain) marked Elsewhere — polled for
// the way and for UNREACHABLE, reported by the shard they fall in.
func (s Shard) Take(hosts []Host) []Host {
	if s.N <= 1 {
		return hosts
	}
	byName := make(map[string]int, len(hosts))
	for i := range hosts {
		byName[hosts[i].Name] = i
	}
	need := map[string]bool{}
	var up func(h *Host, depth int)
	up = func(h *Host, depth int) {
		for _, p := range append([]string{h.Jump}, h.Parents...) {
			if j, ok := byName[p]; ok && p != "" && !need[p] && depth < 32 {
				need[p] = true
				up(&hosts[j], depth+1)
			}
		}
	}
	for i := range hosts {
		if s.Has(hosts[i].Name) {
			need[hosts[i].Name] = true
			up(&hosts[i], 0)
		}
	}
	out := make([]Host, 0, len(need))
	for _, h := range hosts {
		if need[h.Name] {
			h.Elsewhere = !s.Has(h.Name)
			out = append(out, h)
		}
	}
	return out
}
