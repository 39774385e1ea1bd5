package config

import (
	"fmt"
	"strings"
	"testing"
)

// bigConfig is a fleet of n hosts with a supervised service each.
func bigConfig(n int) []byte {
	var b strings.Builder
	b.WriteString("[defaults]\nuser = \"ops\"\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "[[hosts]]\nname = \"h%05d\"\naddress = \"10.%d.%d.%d\"\n[[hosts.services]]\nname = \"app\"\nkind = \"supervisor\"\nprogram = \"app\"\nconf = \"/etc/s.conf\"\n",
			i, i>>16&255, i>>8&255, i&255)
	}
	return []byte(b.String())
}

// BenchmarkConfigLoad parses and validates configs of 1,000 and 5,000
// hosts: the time per host must not grow with the fleet.
func BenchmarkConfigLoad(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			data := bigConfig(n)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := Parse("big.toml", data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/host")
		})
	}
}
