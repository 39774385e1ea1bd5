package fleet

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxText is the longest remote text kept for one line on screen or in a
// log; longer text is cut and marked with "…".
const MaxText = 512

// Sanitize makes text that came from a host safe to show and log: escape
// sequences (CSI, OSC, DCS…) are removed, other control characters
// (including newlines) become spaces, invalid UTF-8 becomes U+FFFD, and the
// result is cut to at most max runes. A compromised host must not be able
// to set the window title, write the clipboard or clear the screen.
func Sanitize(s string, max int) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(s) && n < max; {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b: // ESC: skip the whole sequence
			i = skipEscape(s, i+1)
			continue
		case r == 0x9b || r == 0x9d || r == 0x90 || r == 0x9e || r == 0x9f: // C1 CSI/OSC/DCS/PM/APC
			i = skipEscapeBody(s, i+size, r == 0x9b)
			continue
		case r == utf8.RuneError && size == 1:
			r = utf8.RuneError
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			r = ' '
		case unicode.Is(unicode.Cf, r): // bidi overrides, zero-width joiners…
			i += size
			continue
		}
		b.WriteRune(r)
		n++
		i += size
	}
	out := b.String()
	if n >= max && len(s) > len(out) {
		rs := []rune(out)
		out = string(rs[:max-1]) + "…"
	}
	return out
}

// skipEscape returns the index after the escape sequence whose ESC was just
// before i.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipEscapeBody(s, i+1, true)
	case ']', 'P', '^', '_', 'X':
		return skipEscapeBody(s, i+1, false)
	}
	// Two-byte sequence (ESC c, ESC 7, ESC ( B …): skip intermediates too.
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) {
		i++
	}
	return i
}

// skipEscapeBody skips a CSI (ended by a final byte 0x40–0x7e) or a string
// sequence (ended by BEL or ST).
func skipEscapeBody(s string, i int, csi bool) int {
	for i < len(s) {
		c := s[i]
		if csi {
			i++
			if c >= 0x40 && c <= 0x7e {
				return i
			}
			continue
		}
		switch {
		case c == 0x07:
			return i + 1
		case c == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case c == 0xc2 && i+1 < len(s) && s[i+1] == 0x9c: // ST as UTF-8 C1
			return i + 2
		}
		i++
	}
	return i
}
