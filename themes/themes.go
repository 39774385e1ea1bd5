// Package themes turns a palette of semantic colours into the lipgloss
// styles opsdeck draws with. Status is always spelled out by the UI as well,
// so every theme — and NO_COLOR — stays readable without colour.
package themes

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// Palette is a theme: colours named for what they mean, not how they look.
type Palette struct {
	Name        string
	Fg          lipgloss.Color
	Muted       lipgloss.Color
	Accent      lipgloss.Color
	Border      lipgloss.Color
	SelectionFg lipgloss.Color
	SelectionBg lipgloss.Color
	OK          lipgloss.Color
	Warn        lipgloss.Color
	Crit        lipgloss.Color
	Down        lipgloss.Color
	Stale       lipgloss.Color
	Unknown     lipgloss.Color
	ProdFg      lipgloss.Color // the label that marks production hosts
	ProdBg      lipgloss.Color
}

// Default is the theme used when none is named.
const Default = "dark"

var builtin = map[string]Palette{
	"dark": {
		Fg: "252", Muted: "245", Accent: "39", Border: "240",
		SelectionFg: "231", SelectionBg: "237",
		OK: "42", Warn: "214", Crit: "196", Down: "203", Stale: "141", Unknown: "248",
		ProdFg: "231", ProdBg: "124",
	},
	"light": {
		Fg: "235", Muted: "242", Accent: "25", Border: "249",
		SelectionFg: "232", SelectionBg: "253",
		OK: "28", Warn: "130", Crit: "160", Down: "124", Stale: "91", Unknown: "240",
		ProdFg: "231", ProdBg: "160",
	},
	// high-contrast uses the 16 base colours every terminal has, bright
	// variants only, for a wall screen read from across the room.
	"high-contrast": {
		Fg: "15", Muted: "7", Accent: "14", Border: "15",
		SelectionFg: "0", SelectionBg: "15",
		OK: "10", Warn: "11", Crit: "9", Down: "13", Stale: "12", Unknown: "7",
		ProdFg: "15", ProdBg: "1",
	},
	// colorblind uses the Okabe–Ito palette: no red/green pairing; OK is
	// blue, WARN orange, CRIT vermillion.
	"colorblind": {
		Fg: "#E6E6E6", Muted: "#999999", Accent: "#56B4E9", Border: "#666666",
		SelectionFg: "#FFFFFF", SelectionBg: "#3A3A3A",
		OK: "#0072B2", Warn: "#E69F00", Crit: "#D55E00", Down: "#CC79A7", Stale: "#56B4E9", Unknown: "#999999",
		ProdFg: "#000000", ProdBg: "#F0E442",
	},
}

// Names lists the built-in themes.
func Names() []string {
	names := make([]string, 0, len(builtin))
	for n := range builtin {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get returns a built-in palette by name.
func Get(name string) (Palette, error) {
	if name == "" {
		name = Default
	}
	p, ok := builtin[name]
	if !ok {
		return Palette{}, fmt.Errorf("unknown theme %q: choose one of %s", name, strings.Join(Names(), ", "))
	}
	p.Name = name
	return p, nil
}
