package sshx

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
)

// patternMatch is a known_hosts line that matched a host by OpenSSH's
// rules where x/crypto's did not.
type patternMatch struct {
	file string
	line int
	key  ssh.PublicKey
}

// openSSHMatches finds the plain (not hashed, not @-marked) known_hosts
// lines whose host patterns OpenSSH 9 matches for addr and x/crypto does
// not: wildcards (`*`, `127.0.0.*`, `[*]:*`) and a bare host for a host on
// another port than 22. OpenSSH matches a pattern list against the
// "[host]:port" form and the host itself; `!pattern` excludes.
func openSSHMatches(files []string, addr string) []patternMatch {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil
	}
	names := []string{host}
	if port != "22" {
		names = append(names, "["+host+"]:"+port)
	}
	var out []patternMatch
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || line[0] == '#' || line[0] == '@' || line[0] == '|' {
				continue
			}
			patterns, rest, ok := strings.Cut(line, " ")
			if !ok || !listMatches(patterns, names) {
				continue
			}
			key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(rest))
			if err != nil {
				continue
			}
			out = append(out, patternMatch{file: f, line: n, key: key})
		}
	}
	return out
}

// listMatches applies a comma-separated pattern list to any of names.
func listMatches(list string, names []string) bool {
	hit := false
	for _, p := range strings.Split(list, ",") {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		for _, n := range names {
			if wildcard(strings.ToLower(p), strings.ToLower(n)) {
				if neg {
					return false
				}
				hit = true
			}
		}
	}
	return hit
}

// wildcard matches s against p, where * is any run and ? any one byte
// (brackets are literal, as in OpenSSH host patterns).
func wildcard(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if wildcard(p[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
		}
		p, s = p[1:], s[1:]
	}
	return s == ""
}
