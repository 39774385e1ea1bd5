package probe

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// securitySteps read the security checklist: listening sockets (ss, or
// /proc/net when ss is absent), sshd's effective settings (sshd -T, or the
// config files when it cannot run), pending updates and a needed reboot.
func securitySteps(sudo bool) []Step {
	sshdT := fleet.WithSudo(sudo, "sshd -T")
	return []Step{
		{"listen", "if command -v ss >/dev/null 2>&1; then ss -Hltnu; else echo '#proc'; for f in tcp tcp6 udp udp6; do echo \"#$f\"; cat /proc/net/$f 2>/dev/null; done; fi"},
		{"sshd", sshdRunning + "PATH=$PATH:/usr/sbin:/sbin; if [ -z \"$sshd_up\" ]; then echo '#not-running'; elif ! " + sshdT + " 2>/dev/null; then echo '#files'; cat /etc/ssh/sshd_config /etc/ssh/sshd_config.d/*.conf 2>/dev/null; fi; true"},
	}
}

// sshdRunning sets sshd_up when an sshd serves the host: a process named sshd
// (the listener, and each session before OpenSSH 9.8) or sshd-session, or
// a socket-activated ssh.socket that starts one per connection. Its
// settings only matter then; a workstation without sshd has none to judge.
const sshdRunning = "sshd_up=; for pf in /proc/[0-9]*/comm; do read -r comm 2>/dev/null <\"$pf\" || continue; " +
	"case $comm in sshd|sshd-session) sshd_up=1; break;; esac; done; " +
	"[ -z \"$sshd_up\" ] && command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet ssh.socket sshd.socket 2>/dev/null && sshd_up=1; "

func updatesScript() []byte {
	return []byte("if command -v apt-get >/dev/null 2>&1; then echo '#apt'; apt-get -s -o Debug::NoLocking=1 upgrade 2>/dev/null | grep '^Inst'; " +
		"elif command -v dnf >/dev/null 2>&1; then echo '#dnf'; dnf -q check-update 2>/dev/null; echo '#security'; dnf -q updateinfo list --security 2>/dev/null | wc -l; " +
		"elif command -v yum >/dev/null 2>&1; then echo '#yum'; yum -q check-update 2>/dev/null; fi; " +
		"[ -f /var/run/reboot-required ] && echo '#reboot-required'; true\n")
}

// ParseListeners reads `ss -Hltnu` output, or /proc/net/{tcp,tcp6,udp,udp6}
// after a "#proc" line.
func ParseListeners(lines []string) ([]fleet.Listener, string, error) {
	if len(lines) > 0 && lines[0] == "#proc" {
		ls, err := parseProcNet(lines[1:])
		return ls, "/proc/net", err
	}
	var out []fleet.Listener
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if len(f) < 5 {
			return nil, "ss", fmt.Errorf("unexpected %q", clip(l))
		}
		proto := f[0]
		if (proto == "tcp" && f[1] != "LISTEN") || (proto == "udp" && f[1] != "UNCONN") || (proto != "tcp" && proto != "udp") {
			continue
		}
		i := strings.LastIndexByte(f[4], ':')
		if i < 0 {
			return nil, "ss", fmt.Errorf("no port in %q", clip(f[4]))
		}
		port, err := strconv.Atoi(f[4][i+1:])
		if err != nil || port < 0 || port > 65535 {
			return nil, "ss", fmt.Errorf("bad port in %q", clip(f[4]))
		}
		addr := f[4][:i]
		if j := strings.IndexByte(addr, '%'); j >= 0 { // 127.0.0.53%lo
			addr = addr[:j]
		}
		out = append(out, fleet.Listener{Proto: proto, Addr: fleet.Sanitize(strings.Trim(addr, "[]"), 64), Port: port})
	}
	return out, "ss", nil
}

func parseProcNet(lines []string) ([]fleet.Listener, error) {
	var out []fleet.Listener
	file := ""
	for _, l := range lines {
		if strings.HasPrefix(l, "#") {
			file = l[1:]
			continue
		}
		f := strings.Fields(l)
		if len(f) < 4 || f[0] == "sl" {
			continue
		}
		proto := strings.TrimSuffix(file, "6")
		if (proto == "tcp" && f[3] != "0A") || (proto == "udp" && f[3] != "07") {
			continue
		}
		hexIP, hexPort, ok := strings.Cut(f[1], ":")
		if !ok {
			return nil, fmt.Errorf("unexpected %q", clip(l))
		}
		port, err := strconv.ParseUint(hexPort, 16, 16)
		if err != nil {
			return nil, fmt.Errorf("bad port in %q", clip(l))
		}
		ip, err := procIP(hexIP)
		if err != nil {
			return nil, err
		}
		out = append(out, fleet.Listener{Proto: proto, Addr: ip.String(), Port: int(port)})
	}
	return out, nil
}

// procIP decodes /proc/net's addresses: 32-bit words in host (little-endian)
// order.
func procIP(h string) (net.IP, error) {
	b, err := hex.DecodeString(h)
	if err != nil || (len(b) != 4 && len(b) != 16) {
		return nil, fmt.Errorf("bad address %q", clip(h))
	}
	for i := 0; i < len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	return net.IP(b), nil
}

// ErrNoSSHD is ParseSSHD's answer on a host where no sshd runs.
var ErrNoSSHD = errors.New("sshd: not running here")

// ParseSSHD reads `sshd -T` (lower-case "key value" lines), or the config
// files after a "#files" line, where the first value of a keyword wins and
// Match blocks are ignored — as sshd itself reads them. A "#not-running"
// line (no sshd serves the host) is ErrNoSSHD.
func ParseSSHD(lines []string) (map[string]string, string, error) {
	if len(lines) > 0 && lines[0] == "#not-running" {
		return nil, "", ErrNoSSHD
	}
	from := "sshd -T"
	if len(lines) > 0 && lines[0] == "#files" {
		from, lines = "config files", lines[1:]
	}
	kv := map[string]string{}
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, _ := strings.Cut(strings.Replace(l, "=", " ", 1), " ")
		k = strings.ToLower(k)
		if from == "config files" && k == "match" {
			break
		}
		if _, dup := kv[k]; !dup {
			kv[k] = strings.TrimSpace(v)
		}
	}
	if len(kv) == 0 {
		return nil, from, errors.New("no settings read")
	}
	return kv, from, nil
}

// ParseUpdates reads the updates section: apt's simulated upgrade (Inst
// lines; security ones come from a -security suite), dnf/yum check-update
// lines, and a "#reboot-required" marker.
func ParseUpdates(lines []string) (mgr string, pending, security int, reboot bool, err error) {
	pending, security = -1, -1
	inSecurity := false
	for _, l := range lines {
		switch {
		case l == "#apt" || l == "#dnf" || l == "#yum":
			mgr, pending, security = l[1:], 0, 0
			if mgr != "apt" {
				security = -1
			}
			continue
		case l == "#security":
			inSecurity = true
			continue
		case l == "#reboot-required":
			reboot = true
			continue
		case strings.TrimSpace(l) == "":
			continue
		}
		switch {
		case inSecurity:
			n, err := strconv.Atoi(strings.TrimSpace(l))
			if err != nil || n < 0 {
				return mgr, pending, security, reboot, fmt.Errorf("bad security count %q", clip(l))
			}
			security = n
		case mgr == "apt":
			if !strings.HasPrefix(l, "Inst ") {
				return mgr, pending, security, reboot, fmt.Errorf("unexpected %q", clip(l))
			}
			pending++
			if strings.Contains(l, "-security") || strings.Contains(l, "Debian-Security") || strings.Contains(l, "/security") {
				security++
			}
		case mgr == "dnf" || mgr == "yum":
			if f := strings.Fields(l); len(f) == 3 && strings.Contains(f[0], ".") {
				pending++
			}
		}
	}
	return mgr, pending, security, reboot, nil
}

// checkUpdates counts pending updates in a session of its own.
func checkUpdates(ctx context.Context, run Runner) (*fleet.SecurityStatus, error) {
	secs, err := runSteps(ctx, run, []Step{{"updates", string(updatesScript())}})
	if err != nil {
		return nil, err
	}
	lines, err := usableAny(secs, "updates")
	if err != nil {
		return nil, err
	}
	mgr, p, sec, reboot, err := ParseUpdates(lines)
	if err != nil {
		return nil, errors.New(fleet.Sanitize(err.Error(), 200))
	}
	return &fleet.SecurityStatus{CheckedAt: time.Now(), UpdatesRead: true, PkgManager: mgr, Pending: p, Security: sec, Reboot: reboot}, nil
}

// securityStatus parses the listening ports and sshd sections.
func securityStatus(secs map[string]*Section, at time.Time) *fleet.SecurityStatus {
	s := &fleet.SecurityStatus{CheckedAt: at, Pending: -1, Security: -1}
	if lines, err := usableAny(secs, "listen"); err != nil {
		s.ListenErr = err.Error()
	} else if ls, from, err := ParseListeners(lines); err != nil {
		s.ListenErr = fleet.Sanitize(err.Error(), 200)
	} else {
		s.Listeners, s.ListenFrom = ls, from
	}
	if lines, err := usableAny(secs, "sshd"); err != nil {
		s.SSHDErr = err.Error()
	} else if kv, from, err := ParseSSHD(lines); errors.Is(err, ErrNoSSHD) {
		s.SSHDAbsent = true
	} else if err != nil {
		s.SSHDErr = fleet.Sanitize(err.Error(), 200)
	} else {
		s.SSHD, s.SSHDFrom = kv, from
	}
	return s
}

// usableAny is usable for sections that may legitimately print nothing.
func usableAny(secs map[string]*Section, name string) ([]string, error) {
	s, ok := secs[name]
	switch {
	case !ok:
		return nil, fmt.Errorf("probe printed no %s section", name)
	case !s.Complete:
		return nil, fmt.Errorf("%s output was cut short", name)
	}
	return s.Lines, nil
}
