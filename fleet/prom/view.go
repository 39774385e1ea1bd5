package prom

// A fleet judged by opsdeck pollers (serve-metrics, sharded, several
// sites), read back from the Prometheus that scrapes them.

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// Lookback is how far back a reader looks for the pollers (their last
// judgement, their shard) and for the hosts of a poller that stopped
// being scraped: their last verdict, shown STALE.
const Lookback = 15 * time.Minute

// View reads the verdicts of every host the pollers judge, with a fixed
// number of queries per refresh for the whole fleet (never one per host),
// into a store: a host its poller judged is shown as judged; a host whose
// poller is not scraped, or that Prometheus no longer has, is STALE with
// the reason; Prometheus not answering makes every host STALE.
type View struct {
	cfg   fleet.SourceConfig
	http  *http.Client
	where string
	store *fleet.Store
	proto fleet.Host // a host known only from the series: the config's defaults

	refresh sync.Mutex             // one refresh at a time: it owns in
	in      [nQueries + 2]interner // each query's strings, kept between refreshes

	mu     sync.Mutex
	status fleet.SourceStatus
	down   time.Time         // since when Prometheus does not answer
	from   map[string]target // each host's poller, as last read
	judged map[target]time.Time
	every  map[target]time.Duration // how often each poller is scraped, as seen
}

// target is a poller as Prometheus scrapes it: its job and instance.
type target struct{ job, instance string }

func targetOf(s *sample) target {
	return target{job: s.label("job"), instance: s.label("instance")}
}

// NewView makes the view of cfg (a source of kind "opsdeck") into store;
// proto is what a host known only from the series is given (defaults).
func NewView(cfg fleet.SourceConfig, store *fleet.Store, proto fleet.Host) *View {
	v := &View{cfg: cfg, http: &http.Client{}, where: redact(cfg.URL), store: store, proto: proto, from: map[string]target{},
		judged: map[target]time.Time{}, every: map[target]time.Duration{}}
	for i := range v.in {
		v.in[i] = interner{}
	}
	v.status = fleet.SourceStatus{Name: "pollers in prometheus " + v.where}
	return v
}

// Status is the view's health: Prometheus' error, or the pollers it
// does not scrape, since when.
func (v *View) Status() fleet.SourceStatus {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.status
}

// Run refreshes every interval until ctx ends.
func (v *View) Run(ctx context.Context) { every(ctx, v.cfg.Interval.Duration, v.Refresh) }

// Refresh reads every verdict once, within the source's timeout, and
// records them in the store.
func (v *View) Refresh(ctx context.Context) {
	v.refresh.Lock()
	defer v.refresh.Unlock()
	for i, in := range v.in {
		if len(in) > 1<<16+8*len(v.from) { // hosts gone: start over
			v.in[i] = interner{}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout.Duration)
	defer cancel()
	now := time.Now()
	a, err := v.ask(ctx, now)
	if err != nil {
		v.failed(err, now)
		return
	}
	list, pollers := v.assemble(a, now)
	v.mu.Lock()
	v.status.Err, v.status.Since, v.status.OK, v.down = pollers.trouble(), pollers.troubleSince(), now, time.Time{}
	v.mu.Unlock()
	v.store.Judge(list, v.proto, func(name string, had *fleet.Verdict) *fleet.Verdict {
		return v.missing(name, had, pollers)
	})
}

// failed marks every host STALE: Prometheus did not answer.
func (v *View) failed(err error, now time.Time) {
	v.mu.Lock()
	if v.down.IsZero() {
		v.down = now
	}
	v.status.Err, v.status.Since = fleet.Sanitize(shorten(err), 300), v.down
	why := fmt.Sprintf("prometheus %s: %s since %s", v.where, v.status.Err, v.down.Format("15:04:05"))
	v.mu.Unlock()
	v.store.Judge(nil, v.proto, func(_ string, had *fleet.Verdict) *fleet.Verdict {
		out := fleet.Verdict{Old: why}
		if had != nil {
			out = *had
			out.Old = why
		}
		return &out
	})
}

// missing is the verdict of a host the last answer did not have: STALE,
// saying whether its poller is not scraped or no poller has it.
func (v *View) missing(name string, had *fleet.Verdict, ps pollers) *fleet.Verdict {
	out := fleet.Verdict{}
	if had != nil {
		out = *had
	}
	v.mu.Lock()
	t, seen := v.from[name]
	v.mu.Unlock()
	p, ok := ps[t]
	if !seen {
		p, ok = ps.shardOf(name)
	}
	switch {
	case ok && p.old != "":
		out.Old = p.old
	case ok && seen: // its poller answers without it: removed from its fleet
		return fleet.Gone
	case ok:
		out.Old = "its poller " + p.desc + " has no series of it (not in that poller's fleet?)"
	default:
		out.Old = "no poller in prometheus judges it (no opsdeck_host_state of it)"
	}
	return &out
}

// pace notes how often each poller is scraped, from its judgements'
// times (v.mu held): a poller scraped less often than its hosts are
// polled keeps them current for two scrapes plus 10 s.
func (v *View) pace(ps pollers) {
	for t, p := range ps {
		if prev := v.judged[t]; !prev.IsZero() && p.judged.After(prev) {
			v.every[t] = p.judged.Sub(prev)
		}
		v.judged[t] = p.judged
		if e := v.every[t]; e > 0 {
			p.within = 2*e + 10*time.Second
		}
	}
}
