package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// sources checks [[sources]] and fills in their defaults.
func (v *validator) sources(c *fleet.Config) {
	for i := range c.Sources {
		s := &c.Sources[i]
		p := fmt.Sprintf("sources.%d", i)
		if s.Kind != "prometheus" && s.Kind != "opsdeck" {
			v.add(p+".kind", p+".kind", "unknown source kind %q: \"prometheus\" (node_exporter's figures) or \"opsdeck\" (the pollers' verdicts)", s.Kind)
		}
		if i > 0 {
			v.add(p, p, "one source only: hosts take their resources, or their verdicts, from one Prometheus")
		}
		if s.Match != "" && (s.Kind != "opsdeck" || !matchers.MatchString(s.Match)) {
			v.add(p+".match", p+".match", "match %q: label matchers such as site=\"eu\", for a source of kind \"opsdeck\"", s.Match)
		}
		if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(p+".url", p+".url", "url %q: use http://host:9090", s.URL)
		} else if URLHasPassword(s.URL) {
			v.add(p+".url", p+".url", "holds a password: keep it out of the config")
		}
		if s.Hosts == "" {
			s.Hosts = `up{job="node"}`
		}
		if !validSelector(s.Hosts) {
			v.add(p+".hosts", p+".hosts", "hosts %q: use a series selector such as up{job=\"node\"}", s.Hosts)
		}
		if s.InstanceLabel == "" {
			s.InstanceLabel = "instance"
		}
		if !validLabel(s.InstanceLabel) {
			v.add(p+".instance_label", p+".instance_label", "%q is not a label name", s.InstanceLabel)
		}
		if s.Kind == "opsdeck" { // read as often as the pollers poll
			s.Interval = firstDuration(s.Interval, c.Defaults.PollInterval, fleet.DefaultPollInterval)
		}
		s.Interval = firstDuration(s.Interval, fleet.Duration{}, DefaultSourceInterval)
		v.interval(p+".interval", p+".interval", s.Interval)
		s.Timeout = firstDuration(s.Timeout, fleet.Duration{}, 10*time.Second)
		v.timeout(p+".timeout", p+".timeout", s.Timeout)
		s.RateWindow = firstDuration(s.RateWindow, fleet.Duration{}, time.Minute)
	}
	for i := range c.Hosts {
		if r := c.Hosts[i].Resources; r != "" && r != "ssh" {
			v.add(fmt.Sprintf("hosts.%d.resources", i), hostKey(&c.Hosts[i], i)+".resources", "resources %q: the one value is \"ssh\" (keep this host off the Prometheus source)", r)
		}
	}
}

// DefaultSourceInterval is how often a Prometheus is asked: its usual
// scrape interval (asking more often returns the same samples).
const DefaultSourceInterval = 15 * time.Second

// pollAtSource gives the hosts a Prometheus source covers its interval
// unless they set their own: their figures are no fresher than the
// source's, and their staleness is judged against it.
func pollAtSource(c *fleet.Config, own []bool) {
	if len(c.Sources) == 0 || c.Sources[0].Kind != "prometheus" {
		return
	}
	for i := range c.Hosts {
		h := &c.Hosts[i]
		if !own[i] && !h.Local() && h.Resources != "ssh" && h.PollInterval.Duration < c.Sources[0].Interval.Duration {
			h.PollInterval = c.Sources[0].Interval
		}
	}
}

// matchers are PromQL label matchers: name op "value", comma-separated.
var matchers = regexp.MustCompile(`^\s*[a-zA-Z_]\w*\s*(=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"\s*(,\s*[a-zA-Z_]\w*\s*(=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"\s*)*,?\s*$`)

// validSelector accepts metric{matchers} or {matchers}, nothing after.
func validSelector(s string) bool {
	i := strings.IndexByte(s, '{')
	if i < 0 {
		return validLabel(s)
	}
	if !strings.HasSuffix(s, "}") || (i > 0 && !validLabel(strings.ReplaceAll(s[:i], ":", "_"))) {
		return false
	}
	return !strings.ContainsAny(s[i+1:len(s)-1], "{}")
}

func validLabel(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}
