package themes

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
)

// Styles are every style the UI uses, grouped by region, built once per
// renderer so tests can render without colour.
type Styles struct {
	Palette Palette

	App    lipgloss.Style
	Header struct {
		Title, Text, Muted lipgloss.Style
	}
	Status struct {
		OK, Warn, Crit, Down, Stale, Unknown lipgloss.Style
	}
	Table struct {
		Header, Row, Selected, Muted lipgloss.Style
	}
	Prod struct {
		Label lipgloss.Style // the PROD badge
		Band  lipgloss.Style // the bar at the left of a prod row
	}
	Detail struct {
		Title, Section, Label, Value, Muted lipgloss.Style
		Box                                 lipgloss.Style
	}
	Filter struct {
		Prompt, Text lipgloss.Style
	}
	Footer lipgloss.Style
	Flash  lipgloss.Style
	Modal  lipgloss.Style
	Help   help.Styles
}

// New builds the styles of palette p for renderer r.
func New(p Palette, r *lipgloss.Renderer) *Styles {
	s := &Styles{Palette: p}
	ns := r.NewStyle
	fg := func(c lipgloss.Color) lipgloss.Style { return ns().Foreground(c) }

	s.App = ns().Foreground(p.Fg)
	s.Header.Title = ns().Bold(true).Foreground(p.Accent)
	s.Header.Text = fg(p.Fg)
	s.Header.Muted = fg(p.Muted)

	s.Status.OK = fg(p.OK)
	s.Status.Warn = fg(p.Warn).Bold(true)
	s.Status.Crit = fg(p.Crit).Bold(true)
	s.Status.Down = fg(p.Down).Bold(true)
	s.Status.Stale = fg(p.Stale).Bold(true)
	s.Status.Unknown = fg(p.Unknown)

	s.Table.Header = ns().Bold(true).Foreground(p.Muted)
	s.Table.Row = fg(p.Fg)
	s.Table.Selected = ns().Bold(true).Foreground(p.SelectionFg).Background(p.SelectionBg)
	s.Table.Muted = fg(p.Muted)

	s.Prod.Label = ns().Bold(true).Foreground(p.ProdFg).Background(p.ProdBg)
	s.Prod.Band = fg(p.ProdBg)

	s.Detail.Title = ns().Bold(true).Foreground(p.Accent)
	s.Detail.Section = ns().Bold(true).Foreground(p.Fg).Underline(true)
	s.Detail.Label = fg(p.Muted)
	s.Detail.Value = fg(p.Fg)
	s.Detail.Muted = fg(p.Muted)
	s.Detail.Box = ns().Border(lipgloss.RoundedBorder()).BorderForeground(p.Border).Padding(0, 1)

	s.Filter.Prompt = ns().Bold(true).Foreground(p.Accent)
	s.Filter.Text = fg(p.Fg)
	s.Footer = fg(p.Muted)
	s.Flash = ns().Bold(true).Foreground(p.Warn)
	s.Modal = ns().Border(lipgloss.ThickBorder()).BorderForeground(p.Warn).Padding(0, 2)

	s.Help = help.Styles{
		Ellipsis:       fg(p.Muted),
		ShortKey:       ns().Bold(true).Foreground(p.Accent),
		ShortDesc:      fg(p.Muted),
		ShortSeparator: fg(p.Border),
		FullKey:        ns().Bold(true).Foreground(p.Accent),
		FullDesc:       fg(p.Fg),
		FullSeparator:  fg(p.Border),
	}
	return s
}
