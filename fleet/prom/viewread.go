package prom

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/prometheus/common/model"
)

// The view's queries, one of each per refresh whatever the fleet's size;
// then, when needed, one for the thresholds of the hosts whose figures
// fail and one for the last states of the hosts of pollers no longer
// scraped.
const (
	qJudged   = iota // each poller's last judgement (the lookback keeps a stopped one)
	qUp              // whether Prometheus scrapes each poller now
	qPollers         // each poller's shard and version
	qState           // each host's state
	qAnswered        // when each host last answered its poller
	qChecks          // the failing checks' states and causes
	qFigures         // the figures a row shows: backups, UNREACHABLE's parent
	qCPU             // and the resources, one query each: Prometheus answers
	qMemory          // them at once, where one query of them all is
	qLoad            // encoded by one of its cores
	qDisk
	nQueries
)

// viewQueries are the view's PromQL queries for the label matchers m
// (`site="eu"`, "" for all).
func viewQueries(m string) [nQueries]string {
	sel := func(name string) string {
		if m == "" {
			return name
		}
		return name + "{" + m + "}"
	}
	and := func(names string) string {
		return `{__name__=~"` + names + `"` + strings.TrimSuffix(","+m, ",") + `}`
	}
	lb := model.Duration(Lookback).String()
	judged := "last_over_time(" + sel("opsdeck_check_timestamp_seconds") + "[" + lb + "])"
	return [nQueries]string{
		qJudged:   judged,
		qUp:       "up and on(instance, job) " + judged,
		qPollers:  "last_over_time(" + sel("opsdeck_poller_info") + "[" + lb + "])",
		qState:    sel("opsdeck_host_state"),
		qAnswered: sel("opsdeck_host_answered_timestamp_seconds"),
		qChecks:   sel("opsdeck_check_cause"),
		qFigures:  and("opsdeck_(backup_age_seconds|backup_size_bytes|unreachable)"),
		qCPU:      sel("opsdeck_cpu_percent"),
		qMemory:   sel("opsdeck_memory_percent"),
		qLoad:     sel("opsdeck_load1_per_core"),
		qDisk:     sel("opsdeck_disk_used_percent"),
	}
}

// answer is what the queries returned; gone are the last states of the
// hosts of the pollers Prometheus no longer scrapes.
type answer struct {
	v            [nQueries][]sample
	pollers      pollers
	gone, limits []sample
}

// ask runs the queries at once, then the ones the answers call for.
func (v *View) ask(ctx context.Context, now time.Time) (*answer, error) {
	qs := viewQueries(v.cfg.Match)
	a := &answer{}
	errs := make([]error, nQueries+2)
	var wg sync.WaitGroup
	run := func(i int, q string, out *[]sample) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			*out, errs[i] = v.query(ctx, q, now, v.in[i])
		}()
	}
	for i := range qs {
		run(i, qs[i], &a.v[i])
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err // the rest would be asked of a Prometheus that fails
	}
	a.pollers = pollersOf(a)
	if q := v.goneQuery(a.pollers); q != "" {
		run(nQueries, q, &a.gone)
	}
	if q := v.limitsQuery(a); q != "" {
		run(nQueries+1, q, &a.limits)
	}
	wg.Wait()
	return a, errors.Join(errs...)
}

// goneQuery asks for the last states of the hosts of the pollers not
// scraped now ("" when all are).
func (v *View) goneQuery(ps pollers) string {
	var dead []string
	for t, p := range ps {
		if p.old != "" {
			dead = append(dead, regexp.QuoteMeta(t.instance))
		}
	}
	if len(dead) == 0 {
		return ""
	}
	sort.Strings(dead)
	return fmt.Sprintf("last_over_time(opsdeck_host_state{%sinstance=~%q}[%s])", v.matchComma(), strings.Join(dead, "|"), model.Duration(Lookback))
}

// limitsQuery asks for the thresholds of the hosts with a figure over
// one ("" when none is): the reason says them.
func (v *View) limitsQuery(a *answer) string {
	seen := map[string]bool{}
	var hosts []string
	for i := range a.v[qChecks] {
		s := &a.v[qChecks][i]
		if h := s.label("host"); s.label("cause") == fleet.CauseOver.String() && !seen[h] {
			seen[h] = true
			hosts = append(hosts, regexp.QuoteMeta(h))
		}
	}
	if len(hosts) == 0 {
		return ""
	}
	sort.Strings(hosts)
	return fmt.Sprintf("opsdeck_threshold{%shost=~%q}", v.matchComma(), strings.Join(hosts, "|"))
}

func (v *View) matchComma() string {
	if v.cfg.Match == "" {
		return ""
	}
	return v.cfg.Match + ","
}

// poller is one poller as the view sees it.
type poller struct {
	desc   string // "2/4 of site eu"
	shard  fleet.Shard
	judged time.Time     // its last judgement
	old    string        // why its hosts are STALE: not scraped since…
	within time.Duration // how old its judgement may be: two scrapes plus 10 s
}

type pollers map[target]*poller

// pollersOf reads the pollers: their shard, site, last judgement and
// whether Prometheus scrapes them now.
func pollersOf(a *answer) pollers {
	ps := pollers{}
	for i := range a.v[qJudged] {
		s := &a.v[qJudged][i]
		t := targetOf(s)
		ps[t] = &poller{desc: t.instance, judged: unixTime(s.value)}
		if site := s.label("site"); site != "" {
			ps[t].desc += " of site " + site
		}
	}
	for i := range a.v[qPollers] {
		s := &a.v[qPollers][i]
		p := ps[targetOf(s)]
		if sh, err := fleet.ParseShard(s.label("shard")); p != nil && err == nil && sh.N > 0 {
			p.shard, p.desc = sh, strings.Replace(p.desc, targetOf(s).instance, sh.String(), 1)
		}
	}
	up := map[target]bool{}
	for i := range a.v[qUp] {
		up[targetOf(&a.v[qUp][i])] = a.v[qUp][i].value == 1
	}
	for t, p := range ps {
		if !up[t] {
			p.old = fmt.Sprintf("poller %s not scraped since %s", p.desc, p.judged.Format("15:04:05"))
		}
	}
	return ps
}

// trouble says which pollers are not scraped ("" when all are).
func (ps pollers) trouble() string {
	var out []string
	for _, p := range ps {
		if p.old != "" {
			out = append(out, p.old)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// troubleSince is when the longest-missing poller was last judged.
func (ps pollers) troubleSince() time.Time {
	var since time.Time
	for _, p := range ps {
		if p.old != "" && (since.IsZero() || p.judged.Before(since)) {
			since = p.judged
		}
	}
	return since
}

// shardOf is the poller whose shard holds a host by its name (hashmod),
// the one not scraped first: a host the view never saw.
func (ps pollers) shardOf(name string) (*poller, bool) {
	var found *poller
	for _, p := range ps {
		if p.shard.Has(name) && (found == nil || p.old != "" && found.old == "") {
			found = p
		}
	}
	return found, found != nil
}

func unixTime(sec float64) time.Time {
	if math.IsNaN(sec) || sec <= 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(sec*1e9))
}
