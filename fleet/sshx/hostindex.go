package sshx

import (
	"bytes"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// keyIndex is the known_hosts files' plain lines by host, so that a fleet
// of thousands connects in time linear in its size: x/crypto's callback
// scans every line for every connection (and opsdeck asks twice per
// connection, for the algorithms and for the key), 50 million pattern
// matches at 5,000 hosts. It only ever says yes where x/crypto would: any
// other answer (unknown, changed, revoked, a certificate) is x/crypto's.
type keyIndex struct {
	byHost  map[string][]ssh.PublicKey // by Normalize'd host: every key a line gives it
	revoked map[string]bool            // @revoked keys, marshalled
	complex bool                       // a hashed, wildcard or negated pattern: lines a map cannot answer for
}

// indexKeys reads files as x/crypto does: files and lines in order,
// comments, blank and unparsable lines skipped.
func indexKeys(files []string) *keyIndex {
	idx := &keyIndex{byHost: map[string][]ssh.PublicKey{}, revoked: map[string]bool{}}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			idx.complex = true // changed since it was read: let x/crypto answer
			return idx
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			marker, hosts, key, _, _, err := ssh.ParseKnownHosts(line)
			if err != nil {
				continue // blank, comment or unparsable: skipped by x/crypto too
			}
			switch marker {
			case "revoked":
				idx.revoked[string(key.Marshal())] = true
				continue
			case "cert-authority":
				continue // certificates are left to x/crypto
			}
			for _, h := range hosts {
				if strings.ContainsAny(h, "*?!|") || knownhosts.Normalize(h) != h {
					idx.complex = true
					return idx
				}
				idx.byHost[h] = append(idx.byHost[h], key)
			}
		}
	}
	return idx
}

// known returns the keys known for address (host:port), and false when
// the index cannot tell.
func (x *keyIndex) known(address string) ([]ssh.PublicKey, bool) {
	if x == nil || x.complex {
		return nil, false
	}
	return x.byHost[knownhosts.Normalize(address)], true
}

// accepts reports that x/crypto would accept key for address: a line
// gives it key, and key is neither revoked nor a certificate. False means
// "ask x/crypto", never "refused".
func (x *keyIndex) accepts(address string, key ssh.PublicKey) bool {
	keys, ok := x.known(address)
	if !ok {
		return false
	}
	if _, cert := key.(*ssh.Certificate); cert || x.revoked[string(key.Marshal())] {
		return false
	}
	for _, k := range keys {
		if bytes.Equal(k.Marshal(), key.Marshal()) {
			return true
		}
	}
	return false
}
