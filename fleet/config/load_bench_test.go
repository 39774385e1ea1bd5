package config

import (
	"fmt"
	"os"
	"path/filepath"
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

// rolesConfig is a fleet of 5,000 hosts described as teams do: 20 roles
// with a service, a backup and thresholds each, and 50 host ranges of 100
// taking two roles apiece.
func rolesConfig() []byte {
	var b strings.Builder
	b.WriteString("[defaults]\nuser = \"ops\"\n")
	for r := 0; r < 20; r++ {
		fmt.Fprintf(&b, "[roles.r%02d]\ntags = [\"t%02d\"]\nthresholds = { disk = { warn = 70, crit = 85 } }\n"+
			"[[roles.r%02d.services]]\nname = \"app%02d\"\nkind = \"supervisor\"\nprogram = \"app\"\nconf = \"/etc/s.conf\"\n"+
			"[[roles.r%02d.backups]]\nname = \"b%02d\"\nkind = \"files\"\npath = \"/var/backups/*.gz\"\n", r, r, r, r, r, r)
	}
	for g := 0; g < 50; g++ {
		fmt.Fprintf(&b, "[[hosts]]\nname = \"g%02dn[001-100]\"\naddress = \"10.1.%d.[1-100]\"\nroles = [\"r%02d\", \"r%02d\"]\n", g, g, g%20, (g+1)%20)
	}
	return []byte(b.String())
}

// ansibleJSON is a 5,000-host Ansible inventory in 20 groups, with host
// vars, as ansible-inventory --list prints it.
func ansibleJSON() []byte {
	var b strings.Builder
	b.WriteString(`{"_meta": {"hostvars": {`)
	for i := 0; i < 5000; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"h%04d": {"ansible_host": "10.2.%d.%d", "ansible_port": 22, "ansible_user": "deploy"}`, i, i/250, i%250+1)
	}
	b.WriteString(`}}, "all": {"children": [`)
	for g := 0; g < 20; g++ {
		if g > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"g%02d"`, g)
	}
	b.WriteString(`]}`)
	for g := 0; g < 20; g++ {
		fmt.Fprintf(&b, `, "g%02d": {"vars": {"opsdeck_env": "prod"}, "hosts": [`, g)
		for i := g * 250; i < (g+1)*250; i++ {
			if i > g*250 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"h%04d"`, i)
		}
		b.WriteString(`]}`)
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

// BenchmarkLoad5000 loads 5,000 hosts from roles and ranges, and from a
// 5,000-host Ansible JSON inventory in 20 groups (a file: the JSON a
// command would print, without ansible's own time).
func BenchmarkLoad5000(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "inv.json"), ansibleJSON(), 0o600); err != nil {
		b.Fatal(err)
	}
	for name, doc := range map[string][]byte{
		"roles+ranges": rolesConfig(),
		"ansible":      []byte("[roles.g03]\n[[roles.g03.services]]\nname = \"app\"\nkind = \"systemd\"\nunit = \"app.service\"\n[[inventory]]\nkind = \"ansible\"\npath = \"inv.json\"\n"),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				c, err := Parse(filepath.Join(dir, "c.toml"), doc)
				if err != nil || len(c.Hosts) != 5000 {
					b.Fatalf("%v, %d hosts", err, len(c.Hosts))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/load")
		})
	}
}
