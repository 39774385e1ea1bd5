package fleet

import (
	"fmt"
	"testing"
)

// Every host falls in exactly one shard; a shard keeps the hosts on its
// hosts' way, marked Elsewhere.
func TestShard_Partition(t *testing.T) {
	var hosts []Host
	for i := 0; i < 200; i++ {
		hosts = append(hosts, Host{Name: fmt.Sprintf("web-%03d", i), Jump: "bastion"})
	}
	hosts = append(hosts, Host{Name: "bastion"})
	seen := map[string]int{}
	for i := 0; i < 4; i++ {
		s := Shard{I: i, N: 4}
		own := 0
		for _, h := range s.Take(hosts) {
			switch {
			case !h.Elsewhere:
				seen[h.Name]++
				own++
			case h.Name != "bastion":
				t.Errorf("shard %s keeps %s elsewhere", s, h.Name)
			}
		}
		if own < 25 || own > 80 {
			t.Errorf("shard %s has %d of 201 hosts: not spread", s, own)
		}
	}
	for _, h := range hosts {
		if seen[h.Name] != 1 {
			t.Errorf("%s in %d shards", h.Name, seen[h.Name])
		}
	}
	if _, err := ParseShard("4/4"); err == nil {
		t.Error("4/4 accepted")
	}
	if s, err := ParseShard("2/4"); err != nil || s != (Shard{2, 4}) || s.String() != "2/4" {
		t.Errorf("2/4: %v %v", s, err)
	}
}
