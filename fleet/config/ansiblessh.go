package config

import (
	"errors"
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
)

// The variables Ansible's ssh connection reads, each with its aliases in
// Ansible's order of precedence (constants.MAGIC_VARIABLE_MAPPING: the
// ansible_ssh_ form first).
var (
	ansibleAddr = []string{"ansible_ssh_host", "ansible_host"}
	ansiblePort = []string{"ansible_ssh_port", "ansible_port"}
	ansibleUser = []string{"ansible_ssh_user", "ansible_user"}
	ansibleKey  = []string{"ansible_ssh_private_key_file", "ansible_private_key_file"}
	// ssh's arguments beyond ssh_args: both are given, common first.
	ansibleArgs = []string{"ansible_ssh_common_args", "ansible_ssh_extra_args"}
)

// firstVar is the value of the first of names that vars define ("" and
// the name "" when none does).
func firstVar(vars map[string]any, names []string) (string, string) {
	for _, n := range names {
		if v, ok := vars[n]; ok && v != nil {
			return str(v), n
		}
	}
	return "", ""
}

// ansibleConnection says how Ansible reaches a host by its
// ansible_connection: "ssh" (ssh, paramiko, smart: opsdeck's own SSH),
// "local" (this machine) or the connection opsdeck cannot use.
func ansibleConnection(conn string) string {
	switch strings.TrimPrefix(strings.TrimPrefix(conn, "ansible.builtin."), "ansible.legacy.") {
	case "", "ssh", "smart", "paramiko", "paramiko_ssh":
		return "ssh"
	case "local":
		return "local"
	}
	return conn
}

// sshJump is the jump host ssh's arguments name, as [user@]host[:port]:
// -J, -o ProxyJump=, or a ProxyCommand of the form "ssh -W %h:%p host".
// An error for a ProxyCommand opsdeck cannot reproduce.
func sshJump(args string) (string, error) {
	words, err := shellWords(args)
	if err != nil {
		return "", err
	}
	jump := ""
	for i := 0; i < len(words); i++ {
		w := words[i]
		var opt string
		switch {
		case w == "-J" && i+1 < len(words):
			i++
			jump = words[i]
			continue
		case strings.HasPrefix(w, "-J"):
			jump = w[2:]
			continue
		case w == "-o" && i+1 < len(words):
			i++
			opt = words[i]
		case strings.HasPrefix(w, "-o"):
			opt = w[2:]
		default:
			continue
		}
		key, val, ok := strings.Cut(opt, "=")
		if !ok {
			key, val, _ = strings.Cut(strings.TrimSpace(opt), " ")
		}
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "proxyjump":
			jump = strings.TrimSpace(val)
		case "proxycommand":
			j, err := proxyCommandJump(strings.TrimSpace(val))
			if err != nil {
				return "", err
			}
			jump = j
		}
	}
	if jump == "none" {
		return "", nil
	}
	if strings.Contains(jump, ",") {
		return "", fmt.Errorf("ProxyJump %q has several hops: name the last one's host in the inventory with its own jump", jump)
	}
	return jump, nil
}

// proxyCommandJump reads "ssh [-q] [-l user] [-p port] -W %h:%p [user@]host"
// as a jump host; any other ProxyCommand (nc, a cloud's session manager)
// is an error.
func proxyCommandJump(cmd string) (string, error) {
	words, err := shellWords(cmd)
	if err != nil {
		return "", err
	}
	if cmd == "none" {
		return "", nil
	}
	bad := fmt.Errorf("ProxyCommand %q is not \"ssh -W %%h:%%p host\": opsdeck cannot reach the host the same way", cmd)
	if len(words) == 0 || path.Base(words[0]) != "ssh" {
		return "", bad
	}
	user, port, host, forward := "", "", "", false
	for i := 1; i < len(words); i++ {
		switch w := words[i]; {
		case w == "-W" && i+1 < len(words):
			i++
			forward = words[i] == "%h:%p" || words[i] == "[%h]:%p"
		case w == "-l" && i+1 < len(words):
			i++
			user = words[i]
		case w == "-p" && i+1 < len(words):
			i++
			port = words[i]
		case w == "-o" || w == "-i" || w == "-F":
			i++ // their value: not the destination
		case strings.HasPrefix(w, "-"):
		case host == "":
			host = w
		}
	}
	if !forward || host == "" {
		return "", bad
	}
	if u, h, ok := strings.Cut(host, "@"); ok {
		user, host = u, h
	}
	spec := host
	if port != "" {
		spec = net.JoinHostPort(host, port)
	}
	if user != "" {
		spec = user + "@" + spec
	}
	return spec, nil
}

// jumpSpec splits [user@]host[:port].
func jumpSpec(spec string) (user, host string, port int) {
	host = spec
	if i := strings.LastIndex(host, "@"); i >= 0 {
		user, host = host[:i], host[i+1:]
	}
	if h, p, err := net.SplitHostPort(host); err == nil {
		host = h
		port, _ = strconv.Atoi(p)
	}
	return user, host, port
}

// shellWords splits s as a POSIX shell splits words (quotes and
// backslashes; no expansion), as Ansible's ssh plugin does with shlex.
func shellWords(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in, quote, esc := false, rune(0), false
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc, in = false, true
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch r {
			case '"':
				quote = 0
			case '\\':
				esc = true
			default:
				cur.WriteRune(r)
			}
		case r == '\\':
			esc, in = true, true
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 || esc {
		return nil, errors.New("unbalanced quotes in ssh arguments " + strconv.Quote(s))
	}
	if in {
		out = append(out, cur.String())
	}
	return out, nil
}
