package sshx

import (
	"fmt"
	"net"
	"strings"

	"github.com/opsdeck/opsdeck/fleet/config"
)

// ShellArgs is the system ssh command line that reaches t as opsdeck does:
// the same user, address and port, identity files (and only those), the
// same known_hosts files and policy, through the same jump hosts, and no
// password or keyboard-interactive prompt. Its options end with "--", so
// the destination is never read as one; an address (of t or of a jump)
// that looks like an option, or holds whitespace or a control character,
// is an error and no command line. The remote command, if any, is
// appended by the caller.
func ShellArgs(t Target, knownHosts []string, policy string) ([]string, error) {
	args, err := sshOptions(t, knownHosts, policy)
	if err != nil {
		return nil, err
	}
	return append([]string{"ssh"}, args...), nil
}

func sshOptions(t Target, knownHosts []string, policy string) ([]string, error) {
	host, port, err := net.SplitHostPort(t.Addr)
	if err != nil {
		host, port = t.Addr, "22"
	}
	if why := config.AddressProblem(host); why != "" || host == "" {
		if host == "" {
			why = "is empty"
		}
		return nil, fmt.Errorf("host %s: address %q %s", t.Name, host, why)
	}
	strict := "yes"
	if policy == PolicyAcceptNew {
		strict = "accept-new"
	}
	args := []string{"-p", port}
	if t.User != "" {
		args = append(args, "-l", t.User)
	}
	for _, id := range t.IdentityFiles {
		args = append(args, "-i", id)
	}
	if len(t.IdentityFiles) > 0 {
		args = append(args, "-o", "IdentitiesOnly=yes")
	}
	args = append(args,
		"-o", "UserKnownHostsFile="+strings.Join(quoteEach(knownHosts), " "),
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking="+strict,
		"-o", "PasswordAuthentication=no",
		"-o", "KbdInteractiveAuthentication=no")
	if t.Jump != nil {
		// ProxyCommand, not -J: a jump host gets its own identity files
		// and options, which -J would not pass on.
		// ssh expands % in the whole ProxyCommand: a jump's own
		// ProxyCommand (a chain) keeps its %h:%p as %%h:%%p.
		hop, err := sshOptions(*t.Jump, knownHosts, policy)
		if err != nil {
			return nil, err
		}
		jump := strings.Join(shellQuote(append([]string{"ssh", "-W", "%h:%p"}, hop...)), " ")
		jump = "ssh -W %h:%p " + strings.ReplaceAll(strings.TrimPrefix(jump, "ssh -W %h:%p "), "%", "%%")
		args = append(args, "-o", "ProxyCommand="+jump)
	}
	return append(args, "--", host), nil
}

// quoteEach quotes paths for ssh's own option parser (double quotes;
// a known_hosts path with a space must stay one path).
func quoteEach(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		if strings.ContainsAny(p, " \t\"") {
			p = `"` + strings.ReplaceAll(p, `"`, `\"`) + `"`
		}
		out[i] = p
	}
	return out
}

// shellQuote quotes each word for the shell that runs a ProxyCommand
// (%h and %p stay open for ssh to fill in).
func shellQuote(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		if w == "%h:%p" || (w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@") == "") {
			out[i] = w
			continue
		}
		out[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return out
}
