package themes

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func renderer(p termenv.Profile) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(&bytes.Buffer{})
	r.SetColorProfile(p)
	return r
}

func TestBuiltins(t *testing.T) {
	want := []string{"colorblind", "dark", "high-contrast", "light"}
	if got := Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Names() = %v", got)
	}
	for _, name := range want {
		t.Run(name, func(t *testing.T) {
			p, err := Get(name)
			if err != nil {
				t.Fatal(err)
			}
			slots := map[string]lipgloss.Color{"OK": p.OK, "Warn": p.Warn, "Crit": p.Crit, "Down": p.Down,
				"Stale": p.Stale, "Unknown": p.Unknown, "Fg": p.Fg, "Muted": p.Muted, "Accent": p.Accent,
				"Border": p.Border, "SelectionBg": p.SelectionBg, "ProdBg": p.ProdBg}
			for slot, c := range slots {
				if c == "" {
					t.Errorf("slot %s is empty", slot)
				}
			}
			if p.OK == p.Warn || p.Warn == p.Crit || p.OK == p.Crit {
				t.Error("OK, WARN and CRIT must differ")
			}
			s := New(p, renderer(termenv.TrueColor))
			if out := s.Status.Crit.Render("CRIT"); !strings.Contains(out, "\x1b[") {
				t.Errorf("no colour in a colour terminal: %q", out)
			}
			mono := New(p, renderer(termenv.Ascii))
			for _, out := range []string{mono.Status.Crit.Render("CRIT"), mono.Table.Selected.Render("x"), mono.Prod.Label.Render("PROD")} {
				if strings.Contains(out, "\x1b[3") || strings.Contains(out, "\x1b[4") || strings.Contains(out, ";5;") {
					t.Errorf("colour in a monochrome terminal: %q", out)
				}
			}
		})
	}
}

func TestGet_Unknown(t *testing.T) {
	if _, err := Get("neon"); err == nil || !strings.Contains(err.Error(), `unknown theme "neon": choose one of colorblind, dark, high-contrast, light`) {
		t.Errorf("err = %v", err)
	}
	if p, err := Get(""); err != nil || p.Name != Default {
		t.Errorf("empty name: %v %v", p.Name, err)
	}
}

// The colourblind theme must not tell OK from CRIT by red versus green.
func TestColorblind_NoRedGreen(t *testing.T) {
	p, _ := Get("colorblind")
	r, g, b := hex(t, string(p.OK))
	if g > r && g > b {
		t.Errorf("OK is green (%s)", p.OK)
	}
}

func hex(t *testing.T, s string) (r, g, b int) {
	t.Helper()
	if len(s) != 7 || s[0] != '#' {
		t.Fatalf("not a hex colour: %q", s)
	}
	var v [3]int
	for i := range v {
		for _, c := range s[1+2*i : 3+2*i] {
			v[i] *= 16
			switch {
			case c >= '0' && c <= '9':
				v[i] += int(c - '0')
			case c >= 'A' && c <= 'F':
				v[i] += int(c-'A') + 10
			case c >= 'a' && c <= 'f':
				v[i] += int(c-'a') + 10
			}
		}
	}
	return v[0], v[1], v[2]
}
