package tui

import (
	"strings"

	"github.com/opsdeck/opsdeck/fleet"
)

// sourceBanner is the line under the header while a shared source (a
// Prometheus) fails: its error once, not as each of its hosts' error. Its
// hosts keep their last figures, aging into STALE.
func sourceBanner(c *common) string {
	if c.opt.Sources == nil {
		return ""
	}
	var parts []string
	for _, s := range c.opt.Sources() {
		if s.Err == "" {
			continue
		}
		p := "⚠ " + fleet.Sanitize(s.Name, 80) + " failing for " + fleet.FormatAge(c.now.Sub(s.Since)) + ": " + fleet.Sanitize(s.Err, 200)
		if !s.OK.IsZero() {
			p += " · last answer " + fleet.FormatAge(c.now.Sub(s.OK)) + " ago"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " · ")
}

// setBanner refreshes the banner, laying out again when it appears or
// goes.
func (c *common) setBanner() {
	b := sourceBanner(c)
	if (b == "") != (c.banner == "") {
		c.sized = false
	}
	c.banner = b
}

func (c *common) bannerView() string {
	return c.st.Status.Crit.Render(fit(c.banner, c.width))
}
