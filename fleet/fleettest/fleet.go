package fleettest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Fleet is a set of real sshd test hosts sharing one client key and one
// known_hosts file.
type Fleet struct {
	Dir        string
	ClientKey  *Key
	KnownHosts string
	Hosts      []*SSHD
}

// StartFleet starts n sshd hosts named host-1…host-n and writes a
// known_hosts file that knows them all.
func StartFleet(tb testing.TB, n int) *Fleet {
	tb.Helper()
	f := &Fleet{Dir: tb.TempDir()}
	f.ClientKey = NewKey(tb, f.Dir, "id_ed25519")
	f.KnownHosts = filepath.Join(f.Dir, "known_hosts")
	for i := 1; i <= n; i++ {
		f.Add(tb, "host-"+strconv.Itoa(i), SSHDOptions{})
	}
	return f
}

// Add starts one more host and records its key in known_hosts.
func (f *Fleet) Add(tb testing.TB, name string, opt SSHDOptions) *SSHD {
	tb.Helper()
	opt.Authorized = append(opt.Authorized, f.ClientKey)
	s := StartSSHD(tb, name, opt)
	f.Hosts = append(f.Hosts, s)
	f.WriteKnownHosts(tb)
	return s
}

// WriteKnownHosts rewrites known_hosts with every host's current key.
func (f *Fleet) WriteKnownHosts(tb testing.TB) {
	tb.Helper()
	var b strings.Builder
	for _, h := range f.Hosts {
		b.WriteString(h.KnownHostsLine())
	}
	must(tb, os.WriteFile(f.KnownHosts, []byte(b.String()), 0o600))
}

// Defaults is the [defaults] table that points opsdeck at this fleet: its
// client key and known_hosts, no ~/.ssh/config, no security checklist
// (tests that want it turn it on in their own config), after Hermetic; a
// test may append more [defaults] keys.
func (f *Fleet) Defaults() string {
	return Hermetic + fmt.Sprintf("[defaults]\nidentity_files = [%q]\nknown_hosts = %q\nssh_config = \"/dev/null\"\nsecurity = false\n", f.ClientKey.Path, f.KnownHosts)
}

// Hermetic is the [thresholds] table of every test config: the test hosts
// are this machine, and CI's machine may be busy, so CPU and load are not
// judged unless a test is about them (it then sets its own per host).
const Hermetic = "[thresholds]\ncpu = { off = true }\nload = { off = true }\n"
