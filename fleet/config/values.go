package config

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/opsdeck/opsdeck/fleet"
)

// Checks on configured values that reach a remote shell or the screen.

// quotedPlaceholder finds a drill placeholder ({artifact}, {scratch},
// {drill_id}) that stands inside single or double quotes in a shell
// command. opsdeck quotes each value itself; inside the operator's quotes
// that quoting would be undone (a host-chosen file name y$(…).gz would run).
//
// A command substitution $(…) starts afresh, even inside double quotes, as
// in the shell: "$(psql -d {drill_id})" is fine.
func quotedPlaceholder(cmd string) string { return quotedAmong(cmd, fleet.DrillPlaceholders) }

// quotedAmong is quotedPlaceholder for the placeholders of a kind of
// command (a drill's, a runbook command's).
func quotedAmong(cmd string, placeholders []string) string {
	quote := byte(0) // ' or " while inside quotes
	var outer []byte // the quote state around each open $(
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			}
		case c == '\\':
			i++ // the next byte is literal (outside quotes and inside "…")
		case c == '$' && i+1 < len(cmd) && cmd[i+1] == '(':
			outer = append(outer, quote)
			quote = 0
			i++
		case quote == 0 && c == ')' && len(outer) > 0:
			quote = outer[len(outer)-1]
			outer = outer[:len(outer)-1]
		case quote == '"' && c == '"':
			quote = 0
		case quote == 0 && (c == '\'' || c == '"'):
			quote = c
		}
		if quote != 0 && c == '{' {
			for _, p := range placeholders {
				if strings.HasPrefix(cmd[i:], p) {
					return p
				}
			}
		}
	}
	return ""
}

// controlChar reports the first control character in s (a name that
// would reach the screen, the audit log and notifications).
func controlChar(s string) (rune, bool) {
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\u202e' {
			return r, true
		}
	}
	return 0, false
}

var (
	urlUserinfo = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s@:]*:[^/\s@]+@`)
	secretAssig = regexp.MustCompile(`(?i)(^|[^a-z0-9])[a-z0-9_]*(password|passwd|secret|token|api_?key)[a-z0-9_]*\s*=\s*[^\s$'"]`)
	secretFlag  = regexp.MustCompile(`(?i)--(password|token|secret)[= ]\s*[^\s$-]`)
)

// secretIn says why s looks like it holds a credential: it would be shown
// in confirmations and written to the audit log.
func secretIn(s string) string {
	switch {
	case urlUserinfo.MatchString(s):
		return "a password in a URL (user:password@)"
	case secretAssig.MatchString(s), secretFlag.MatchString(s):
		return "a password or token written into the command"
	}
	return ""
}

// AddressProblem says what makes s unusable as a host's address, "" when
// nothing does: an address that starts with '-' would reach ssh (the
// dashboard's s, a ProxyCommand) as an option, and whitespace or a control
// character is never part of a host name or an IP address.
func AddressProblem(s string) string {
	if strings.HasPrefix(s, "-") {
		return "must not start with '-' (ssh would read it as an option)"
	}
	if r, ok := controlChar(s); ok {
		return fmt.Sprintf("holds the control character %U", r)
	}
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		return "must not hold whitespace"
	}
	return ""
}

// placeholderLike finds {word}s in a command, not ${word} (the shell's).
var placeholderLike = regexp.MustCompile(`(^|[^$]){[a-z_]+}`)

// unknownPlaceholder is the first {word} of cmd that is none of known: a
// typo that would reach the host's shell as written.
func unknownPlaceholder(cmd string, known []string) string {
	for _, m := range placeholderLike.FindAllStringSubmatch(cmd, -1) {
		ph := strings.TrimPrefix(m[0], m[1])
		found := false
		for _, k := range known {
			found = found || k == ph
		}
		if !found {
			return ph
		}
	}
	return ""
}
