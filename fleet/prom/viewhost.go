package prom

import (
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/report"
)

// reading is one host's series in an answer.
type reading struct {
	t      target
	code   float64   // its state on the exit-code scale
	at     time.Time // when it last answered its poller
	checks []checkRead
	figs   map[string]float64    // figures, by metric and label value
	limits map[string]fleet.Pair // thresholds, by metric and label value
	behind string
}

// checkRead is a failing check read back: its key, kind and code.
type checkRead struct {
	key, kind string
	cause     fleet.Cause
	code      float64
}

// figKey names a figure: its metric and its mount, backup or endpoint.
func figKey(s *sample, name string) string {
	for _, l := range s.labels {
		if l.name == "mount" || l.name == "backup" || l.name == "endpoint" {
			return name + "\x00" + l.value
		}
	}
	return name
}

// assemble turns an answer into every host's verdict and figures.
func (v *View) assemble(a *answer, now time.Time) ([]fleet.Judged, pollers) {
	ps := a.pollers
	hosts := make(map[string]*reading, len(a.v[qState])+len(a.gone))
	var order []string
	get := func(s *sample) *reading {
		name := hostName(s)
		r := hosts[name]
		if r == nil {
			r = &reading{t: targetOf(s), figs: make(map[string]float64, 4)}
			hosts[name] = r
			order = append(order, name)
		}
		return r
	}
	for i := range a.v[qState] {
		get(&a.v[qState][i]).code = a.v[qState][i].value
	}
	for i := range a.gone {
		if _, ok := hosts[hostName(&a.gone[i])]; !ok {
			get(&a.gone[i]).code = a.gone[i].value
		}
	}
	for i := range a.v[qAnswered] {
		get(&a.v[qAnswered][i]).at = unixTime(a.v[qAnswered][i].value)
	}
	readChecks(a.v[qChecks], get)
	for _, q := range []int{qFigures, qCPU, qMemory, qLoad, qDisk} {
		for i := range a.v[q] {
			s := &a.v[q][i]
			r := get(s)
			if name := s.label("__name__"); name == "opsdeck_unreachable" {
				r.behind = fleet.Sanitize(s.label("behind"), 200)
			} else {
				r.figs[figKey(s, name)] = s.value
			}
		}
	}
	readLimits(a.limits, get)
	list := make([]fleet.Judged, 0, len(order))
	v.mu.Lock()
	v.pace(ps)
	for _, name := range order {
		r := hosts[name]
		v.from[name] = r.t
		p := ps[r.t]
		if p == nil {
			p = &poller{desc: r.t.instance, old: "its poller " + r.t.instance + " is not in prometheus"}
		}
		verdict, smp := r.verdict(p)
		if r.at.IsZero() { // its poller's series are gone: it keeps the figures it had
			smp = nil
		}
		list = append(list, fleet.Judged{Name: name, Verdict: verdict, Figures: smp})
	}
	v.mu.Unlock()
	return list, ps
}

// hostName is the host a sample is of, as the screen may show it.
func hostName(s *sample) string {
	name := s.label("host")
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < ' ' || c >= 0x7f {
			return fleet.Sanitize(name, 200)
		}
	}
	if len(name) > 200 {
		return fleet.Sanitize(name, 200)
	}
	return name
}

// readChecks reads the failing checks: each one's state and cause.
func readChecks(vec []sample, get func(*sample) *reading) {
	for i := range vec {
		s := &vec[i]
		r := get(s)
		var c fleet.Cause
		_ = c.UnmarshalText([]byte(s.label("cause")))
		r.checks = append(r.checks, checkRead{key: s.label("check"), kind: s.label("kind"), cause: c, code: s.value})
	}
}

// readLimits reads the thresholds of the hosts that fail.
func readLimits(vec []sample, get func(*sample) *reading) {
	for i := range vec {
		s := &vec[i]
		r := get(s)
		if r.limits == nil {
			r.limits = map[string]fleet.Pair{}
		}
		k := figKey(s, s.label("metric"))
		p := r.limits[k]
		switch s.label("level") {
		case "warn":
			p.Warn = s.value
		case "crit":
			p.Crit = s.value
		}
		r.limits[k] = p
	}
}

// stateOf is a state read back: a host's own from its cause (DOWN,
// SLOW, HOSTKEY, STALE and UNREACHABLE share codes), a check's from its
// code.
func stateOf(code float64, cause fleet.Cause) fleet.State {
	switch cause {
	case fleet.CauseRefused, fleet.CauseNoBanner, fleet.CauseDown:
		return fleet.Down
	case fleet.CauseSlow:
		return fleet.Slow
	case fleet.CauseKeyChanged:
		return fleet.HostKey
	case fleet.CauseStale:
		return fleet.Stale
	case fleet.CauseUnreachable:
		return fleet.Unreachable
	}
	switch int(code) {
	case report.ExitOK:
		return fleet.OK
	case report.ExitWarn:
		return fleet.Warn
	case report.ExitCrit:
		return fleet.Crit
	}
	return fleet.Unknown
}

// verdict is the host's verdict and figures as its poller p exported them.
func (r *reading) verdict(p *poller) (*fleet.Verdict, *fleet.Sample) {
	smp := r.sample(p.judged)
	vd := &fleet.Verdict{At: r.at, Judged: p.judged, By: p.desc, Old: p.old, Within: p.within, Behind: r.behind, Checks: r.figureChecks(smp)}
	vd.State = stateOf(r.code, fleet.CauseNone)
	for _, cr := range r.checks {
		kind, key := fleet.KindUnset, cr.key
		_ = kind.UnmarshalText([]byte(cr.kind))
		cause := cr.cause
		st := stateOf(cr.code, cause)
		if kind == fleet.KindHost {
			vd.State, vd.Cause = st, cause
			continue
		}
		_, subject, _ := strings.Cut(key, ":")
		vd.Checks = setCheck(vd.Checks, fleet.Check{Kind: kind, Subject: subject, Name: checkName(kind, subject), State: st, Cause: cause,
			Pending: report.Exit(st) > int(r.code)}) // worse than its host: one its poller does not count (not checked yet)
	}
	for i := range vd.Checks {
		c := &vd.Checks[i]
		if c.Kind == fleet.KindBackup {
			c.Value = r.figs["opsdeck_backup_age_seconds\x00"+c.Subject]
		}
		c.Reason = fleet.Said(*c)
	}
	return vd, smp
}

// setCheck puts c in place of the check of its kind and subject (keeping
// that one's figures), or adds it.
func setCheck(cs []fleet.Check, c fleet.Check) []fleet.Check {
	for i := range cs {
		if cs[i].Kind == c.Kind && cs[i].Subject == c.Subject {
			cs[i].State, cs[i].Cause, cs[i].Pending = c.State, c.Cause, c.Pending
			return cs
		}
	}
	return append(cs, c)
}

// checkName is a check's name for people, as the poller's own checks say
// it: "cpu", "disk /var", "service nginx", "backup db", "cert host:443".
func checkName(kind fleet.CheckKind, subject string) string {
	switch kind {
	case fleet.KindSecurity:
		return subject
	case fleet.KindCPU, fleet.KindMemory, fleet.KindLoad, fleet.KindHost:
		if r := fleet.ResourceNamed(kind.String()); r != nil {
			return r.Name
		}
		return kind.String()
	}
	return strings.TrimSpace(kind.String() + " " + subject)
}
