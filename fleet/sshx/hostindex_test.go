package sshx

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// The index of plain known_hosts lines answers as x/crypto's callback
// does wherever it answers, and steps aside for what a map cannot answer
// for (hashed, wildcard and negated patterns).
func TestKeyIndex_AgreesWithXCrypto(t *testing.T) {
	dir := t.TempDir()
	a := fleettest.NewKey(t, dir, "a").Signer.PublicKey()
	b := fleettest.NewKey(t, dir, "b").Signer.PublicKey()
	c := fleettest.NewKey(t, dir, "c").Signer.PublicKey()
	line := func(prefix string, k ssh.PublicKey) string {
		return prefix + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + "\n"
	}
	plain := "# a comment\n\n" + line("web-1,10.0.0.1", a) + line("[10.0.0.2]:2222", b) + "not a line at all\n" +
		line("10.0.0.3", a) + line("10.0.0.3", b) + // two keys of one type: either
		line("::1", c) + line("@revoked *", c) + line("@cert-authority *.example.com", b)
	addrs := []string{"web-1:22", "10.0.0.1:22", "10.0.0.1:2222", "10.0.0.2:2222", "10.0.0.2:22", "10.0.0.3:22", "[::1]:22", "other:22"}
	file := filepath.Join(dir, "plain")
	os.WriteFile(file, []byte(plain), 0o600)
	cb, err := knownhosts.New(file)
	if err != nil {
		t.Fatal(err)
	}
	idx := indexKeys([]string{file})
	if idx.complex {
		t.Fatal("plain lines taken for complex ones")
	}
	accepted := 0
	for _, addr := range addrs {
		for _, k := range []ssh.PublicKey{a, b, c} {
			want := cb(addr, &net.TCPAddr{IP: net.IPv4zero}, k) == nil
			if got := idx.accepts(addr, k); got != want {
				t.Errorf("%s with key %s: index %v, x/crypto %v", addr, ssh.FingerprintSHA256(k), got, want)
			}
			if want {
				accepted++
			}
		}
	}
	if accepted != 5 {
		t.Errorf("%d address/key pairs accepted, want 5 (web-1, 10.0.0.1, [10.0.0.2]:2222 and 10.0.0.3 with either key; ::1's key is revoked)", accepted)
	}
	for _, extra := range []string{
		line(knownhosts.HashHostname("10.0.0.9"), a), // HashKnownHosts yes, Debian's default
		line("10.0.0.*", a),
		line("10.0.0.1,!10.0.0.4", a),
		line("[10.0.0.5]:22", a), // not in the form x/crypto matches it in
	} {
		os.WriteFile(file, []byte(plain+extra), 0o600)
		if _, ok := indexKeys([]string{file}).known("10.0.0.1:22"); ok {
			t.Errorf("the index answered for a file with %q", extra)
		}
	}
}
