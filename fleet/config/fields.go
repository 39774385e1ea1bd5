package config

import (
	"math"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

func (v *validator) limits(p, key string, t *fleet.Thresholds, out *fleet.Limits) {
	v.fillLimits(p, key, &t.DiskFull, &out.Full)
	for _, r := range fleet.Resources {
		m := struct {
			name    string
			l       fleet.Level
			dst     *fleet.Pair
			percent bool
		}{r.Name, *r.Level(t), r.Limit(out), r.Percent}
		mp, mk := p+"."+m.name, key+"."+m.name
		for _, x := range []struct {
			name string
			val  *float64
			dst  *float64
		}{{"warn", m.l.Warn, &m.dst.Warn}, {"crit", m.l.Crit, &m.dst.Crit}} {
			if x.val == nil {
				continue
			}
			switch {
			case math.IsNaN(*x.val) || math.IsInf(*x.val, 0):
				v.add(mp+"."+x.name, mk+"."+x.name, "must be a number, got %g", *x.val)
			case *x.val < 0:
				v.add(mp+"."+x.name, mk+"."+x.name, "must not be negative, got %g", *x.val)
			case m.percent && *x.val > 100:
				v.add(mp+"."+x.name, mk+"."+x.name, "is a percentage: must be at most 100, got %g", *x.val)
			default:
				*x.dst = *x.val
			}
		}
		if m.l.For != nil {
			m.dst.For = m.l.For.Duration
		}
		if m.l.Off != nil {
			m.dst.Off = *m.l.Off
		}
		if m.l.Clear != nil {
			switch c := *m.l.Clear; {
			case math.IsNaN(c) || math.IsInf(c, 0):
				v.add(mp+".clear", mk+".clear", "must be a number, got %g", c)
			case c < 0:
				v.add(mp+".clear", mk+".clear", "must not be negative, got %g", c)
			case c > m.dst.Warn:
				v.add(mp+".clear", mk+".clear", "clear (%g) must be at or below warn (%g): the alarm clears below it", c, m.dst.Warn)
			default:
				m.dst.Clear = c
			}
		}
		if m.dst.Warn >= m.dst.Crit {
			v.add(mp, mk, "warn (%g) must be below crit (%g)", m.dst.Warn, m.dst.Crit)
		}
	}
}

// fillLimits reads [thresholds] disk_full into out.
func (v *validator) fillLimits(p, key string, l *fleet.FillLevel, out *fleet.FillLimits) {
	mp, mk := p+".disk_full", key+".disk_full"
	for _, d := range []struct {
		name string
		val  *fleet.Duration
		dst  *time.Duration
	}{{"warn", l.Warn, &out.Warn}, {"crit", l.Crit, &out.Crit}, {"window", l.Window, &out.Window}, {"for", l.For, &out.For}} {
		switch {
		case d.val == nil:
		case d.val.Duration < 0 || d.name == "window" && d.val.Duration < 2*time.Minute:
			v.add(mp+"."+d.name, mk+"."+d.name, "%s is too short: a window is at least 2m (72 points of at least a second), a duration not negative", d.val.Duration)
		default:
			*d.dst = d.val.Duration
		}
	}
	for _, f := range []struct {
		name string
		val  *float64
		dst  *float64
	}{{"warn_free", l.WarnFree, &out.WarnFree}, {"crit_free", l.CritFree, &out.CritFree}} {
		switch {
		case f.val == nil:
		case math.IsNaN(*f.val) || *f.val < 0 || *f.val > 100:
			v.add(mp+"."+f.name, mk+"."+f.name, "is a percentage of free space: 0 to 100, got %g", *f.val)
		default:
			*f.dst = *f.val
		}
	}
	if l.Off != nil {
		out.Off = *l.Off
	}
	if out.Crit > out.Warn {
		v.add(mp, mk, "crit (%s) must not be later than warn (%s): full sooner is worse", out.Crit, out.Warn)
	}
}

// name rejects control characters in a name shown on screen and in logs.
func (v *validator) name(p, key, s string) {
	if r, ok := controlChar(s); ok {
		v.add(p, key, "%q holds the control character %U", s, r)
	}
}

// absolute requires an absolute path (a relative one starting with '-'
// would be an option to find, restic or supervisorctl).
func (v *validator) absolute(p, key, what, s string) {
	if s != "" && !path.IsAbs(s) {
		v.add(p, key, "%s %q must be an absolute path", what, s)
	}
}

// notOption refuses a value that a command would read as an option.
func (v *validator) notOption(p, key, what, s string) {
	if strings.HasPrefix(s, "-") {
		v.add(p, key, "%s %q must not start with '-' (it would be read as an option)", what, s)
	}
}

// secret refuses credentials written into the config: they would be shown
// in confirmations and kept in the audit log.
func (v *validator) secret(p, key, s string) {
	if why := secretIn(s); why != "" {
		v.add(p, key, "looks like it holds %s: keep secrets out of the config (a password_file, or the environment on the host)", why)
	}
}

func (v *validator) port(p, key string, port int) {
	if port < 0 || port > 65535 {
		v.add(p, key, "port %d is out of range 1-65535", port)
	}
}

// MaxTimeout bounds a poll's timeout: a longer one hides a dead host.
const MaxTimeout = 10 * time.Minute

func (v *validator) timeout(p, key string, d fleet.Duration) {
	switch {
	case d.Duration < 0:
		v.add(p, key, "timeout must not be negative")
	case d.Duration > MaxTimeout:
		v.add(p, key, "timeout %s is over the maximum of %s", d, MaxTimeout)
	}
}

func (v *validator) interval(p, key string, d fleet.Duration) {
	if d.Duration != 0 && d.Duration < fleet.MinPollInterval {
		v.add(p, key, "poll interval %s is below the minimum of %s", d, fleet.MinPollInterval)
	}
}

func firstDuration(a, b fleet.Duration, def time.Duration) fleet.Duration {
	switch {
	case a.Duration > 0:
		return a
	case b.Duration > 0:
		return b
	}
	return fleet.Duration{Duration: def}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
