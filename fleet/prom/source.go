// Package prom reads hosts' resources from a Prometheus server that already
// scrapes their node_exporter: one batched PromQL query per interval for
// the whole fleet, through client_golang's API client. A Prometheus that is
// down or slow is one source error; the hosts keep the figures they had,
// judged STALE by the age of the samples Prometheus returned.
package prom

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Source is one Prometheus and the latest resources it gave of each host.
type Source struct {
	cfg   fleet.SourceConfig
	api   v1.API
	where string
	query string
	// byKey maps an instance (with and without its port) to a host: its
	// name, and its address when no other host has that name.
	byKey map[string]string
	// mounts are the mounts each host lists (none: those fleet.Watched
	// picks, as the SSH probe does).
	mounts map[string]map[string]bool

	first     chan struct{} // closed when the first query has ended
	firstOnce sync.Once

	mu       sync.Mutex
	latest   map[string]*fleet.Sample // host → last sample
	answered bool                     // latest and missing are an answer
	missing  map[string]string        // host → why Prometheus has none
	status   fleet.SourceStatus
}

// New makes the source of cfg for hosts (the configured ones it may cover).
func New(cfg fleet.SourceConfig, hosts []fleet.Host) (*Source, error) {
	client, err := api.NewClient(api.Config{Address: cfg.URL})
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", redact(cfg.URL), err)
	}
	s := &Source{
		cfg: cfg, api: v1.NewAPI(client), where: redact(cfg.URL),
		byKey:   map[string]string{},
		mounts:  map[string]map[string]bool{},
		first:   make(chan struct{}),
		latest:  map[string]*fleet.Sample{},
		missing: map[string]string{},
	}
	s.status = fleet.SourceStatus{Name: "prometheus " + s.where}
	var listed []string // every host's, once
	seen := map[string]bool{}
	for i := range hosts {
		s.byKey[hosts[i].Name] = hosts[i].Name
		for _, m := range hosts[i].Mounts {
			if s.mounts[hosts[i].Name] == nil {
				s.mounts[hosts[i].Name] = map[string]bool{}
			}
			s.mounts[hosts[i].Name][m] = true
			if !seen[m] {
				seen[m] = true
				listed = append(listed, m)
			}
		}
	}
	sort.Strings(listed)
	s.query = Query(cfg.Matchers(), cfg.InstanceLabel, model.Duration(cfg.RateWindow.Duration).String(), listed)
	for i := range hosts {
		if _, taken := s.byKey[hosts[i].Address]; !taken {
			s.byKey[hosts[i].Address] = hosts[i].Name
		}
	}
	return s, nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "prometheus"
	}
	u.User = nil
	return u.String()
}

// Status is the source's health: its error, since when, and its last
// good answer.
func (s *Source) Status() fleet.SourceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Run queries every interval until ctx ends.
func (s *Source) Run(ctx context.Context) { every(ctx, s.cfg.Interval.Duration, s.Refresh) }

// every runs refresh now and every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, refresh func(context.Context)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Covered is how many hosts the last answer had figures of.
func (s *Source) Covered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.latest)
}

// Refresh runs the batched query once and keeps what it returned.
func (s *Source) Refresh(ctx context.Context) {
	defer s.firstOnce.Do(func() { close(s.first) })
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout.Duration)
	defer cancel()
	now := time.Now()
	val, _, _, err := s.api.Query(ctx, s.query, now)
	if ctx.Err() != nil && err != nil {
		err = fmt.Errorf("no answer within %s", s.cfg.Timeout.Duration)
	}
	var latest map[string]*fleet.Sample
	var missing map[string]string
	if err == nil {
		if vec, ok := val.(model.Vector); ok {
			// Outside the lock: the hosts' polls read the last answer meanwhile.
			latest, missing = s.assemble(vec)
		} else {
			err = fmt.Errorf("answered a %s, not a vector", val.Type())
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.status.Err == "" {
			s.status.Since = now
		}
		s.status.Err = fleet.Sanitize(shorten(err), 300)
		return
	}
	s.status.Err, s.status.Since, s.status.OK = "", time.Time{}, now
	s.latest, s.missing, s.answered = latest, missing, true
}

// Absent reports whether Prometheus' last answer had no series of host at
// all (not a target it fails to scrape: one it does not have). It waits
// for the first query to end, within ctx; until Prometheus has answered
// once, no host is absent.
func (s *Source) Absent(ctx context.Context, host string) bool {
	select {
	case <-s.first:
	case <-ctx.Done():
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.answered && s.latest[host] == nil && s.missing[host] == ""
}

// shorten keeps what an operator needs of an error: "connection
// refused", not the URL and address again (the banner names the source).
func shorten(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// hostOf maps an instance label to a configured host.
func (s *Source) hostOf(instance string) (string, bool) {
	if h, ok := s.byKey[instance]; ok {
		return h, true
	}
	if host, _, err := net.SplitHostPort(instance); err == nil {
		h, ok := s.byKey[host]
		return h, ok
	}
	return "", false
}

type partial struct {
	vals  map[string]float64
	disks map[string]*fleet.Disk
	ro    map[string]bool
}

// assemble turns the query's samples into one Sample per host.
func (s *Source) assemble(vec model.Vector) (map[string]*fleet.Sample, map[string]string) {
	byHost := map[string]*partial{}
	for _, smp := range vec {
		host, ok := s.hostOf(string(smp.Metric[model.LabelName(s.cfg.InstanceLabel)]))
		if !ok {
			continue
		}
		p := byHost[host]
		if p == nil {
			p = &partial{vals: map[string]float64{}, disks: map[string]*fleet.Disk{}, ro: map[string]bool{}}
			byHost[host] = p
		}
		name, v := string(smp.Metric[tag]), float64(smp.Value)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		if strings.HasPrefix(name, "fs_") {
			mount := string(smp.Metric["mountpoint"])
			d := p.disks[mount]
			if d == nil {
				d = &fleet.Disk{Mount: fleet.Sanitize(mount, 200), Device: fleet.Sanitize(string(smp.Metric["device"]), 200), FSType: fleet.Sanitize(string(smp.Metric["fstype"]), 40)}
				p.disks[mount] = d
			}
			switch name {
			case "fs_size":
				d.Total = uint64(v)
			case "fs_free":
				d.Used = uint64(v) // free for now: Used = Total - free below
			case "fs_avail":
				d.Free = uint64(v)
			case "fs_files":
				d.Inodes = uint64(v)
			case "fs_files_free":
				d.IUsed = uint64(v) // free for now
			case "fs_ro":
				p.ro[mount] = v == 1
			}
			continue
		}
		p.vals[name] = v
	}
	latest, missing := map[string]*fleet.Sample{}, map[string]string{}
	for host, p := range byHost {
		if up, ok := p.vals["up"]; ok && up == 0 {
			missing[host] = upZero
			continue
		}
		at, ok := p.vals["at"]
		if !ok {
			missing[host] = "no node_load1 in prometheus for it"
			continue
		}
		latest[host] = p.sample(at, s.mounts[host])
	}
	return latest, missing
}

// upZero is why a host has no figures when Prometheus cannot scrape it.
const upZero = "prometheus cannot scrape its node_exporter (up == 0)"

// sample is one host's resources at at (the scrape's own time, seconds),
// with the mounts it lists, or those fleet.Watched picks when it lists
// none.
func (p *partial) sample(at float64, listed map[string]bool) *fleet.Sample {
	smp := &fleet.Sample{At: time.Unix(0, int64(at*1e9))}
	v := p.vals
	smp.Load1, smp.Load5, smp.Load15 = v["load1"], v["load5"], v["load15"]
	smp.Cores = int(v["cores"])
	if smp.Cores == 0 {
		smp.MarkUnknownAs(fleet.MetricLoad, fleet.CauseNotInSource, "no node_cpu_seconds_total in prometheus")
	}
	if idle, ok := v["idle"]; ok && smp.Cores > 0 {
		smp.CPU = math.Max(0, math.Min(100, 100*(1-idle)))
	} else {
		smp.MarkUnknown(fleet.MetricCPU, "no CPU rate in prometheus yet (needs two scrapes in the rate window)")
	}
	if total, ok := v["mem_total"]; ok && total > 0 {
		smp.MemTotal, smp.MemAvailable = uint64(total), uint64(v["mem_avail"])
		smp.MemUsed = smp.MemTotal - min(smp.MemTotal, smp.MemAvailable)
		smp.SwapTotal = uint64(v["swap_total"])
		smp.SwapUsed = smp.SwapTotal - min(smp.SwapTotal, uint64(v["swap_free"]))
	} else {
		smp.MarkUnknownAs(fleet.MetricMemory, fleet.CauseNotInSource, "no node_memory_MemTotal_bytes in prometheus")
	}
	if boot, ok := v["boot"]; ok && boot > 0 {
		smp.BootTime = time.Unix(int64(boot), 0)
		smp.Uptime = smp.At.Sub(smp.BootTime)
	} else {
		smp.MarkUnknownAs(fleet.MetricUptime, fleet.CauseNotInSource, "no node_boot_time_seconds in prometheus")
	}
	mounts := make([]string, 0, len(p.disks))
	for m, d := range p.disks {
		if listed[m] || (listed == nil && fleet.Watched(d.FSType, m, p.ro[m])) {
			mounts = append(mounts, m)
		}
	}
	sort.Strings(mounts)
	for _, m := range mounts {
		d := *p.disks[m]
		free := d.Used
		d.Used = d.Total - min(d.Total, free)
		if d.Inodes > 0 {
			d.IUsed = d.Inodes - min(d.Inodes, d.IUsed)
		}
		smp.Disks = append(smp.Disks, d)
	}
	if len(smp.Disks) == 0 {
		smp.MarkUnknownAs(fleet.MetricDisk, fleet.CauseNotInSource, "no node_filesystem series in prometheus")
	}
	return smp
}

// For is host's source of resources: the last sample Prometheus gave of
// it. The first poll waits for the first query (within ctx).
func (s *Source) For(h *fleet.Host) fleet.Source { return hostSource{s: s, host: h} }

type hostSource struct {
	s    *Source
	host *fleet.Host
}

func (hs hostSource) Sample(ctx context.Context) (*fleet.Sample, error) {
	s := hs.s
	select {
	case <-s.first:
	case <-ctx.Done():
		return nil, fmt.Errorf("prometheus %s: no answer yet", s.where)
	}
	s.mu.Lock()
	last, why, status := s.latest[hs.host.Name], s.missing[hs.host.Name], s.status
	s.mu.Unlock()
	if last == nil {
		// Nothing to show: say why on each metric, never as a DOWN host
		// (the host may be fine; its figures are what is missing).
		smp := &fleet.Sample{At: time.Now()}
		cause := fleet.CauseNotInSource
		switch {
		case status.Err != "":
			why, cause = status.Name+": "+status.Err, fleet.CauseSourceFailed
		case why == "":
			why = fmt.Sprintf("%s has no series of it: no %s=%q (or its address) in %s", status.Name, s.cfg.InstanceLabel, hs.host.Name, s.cfg.Hosts)
		case why == upZero:
			cause = fleet.CauseNotScraped
		}
		for _, m := range []fleet.Metric{fleet.MetricCPU, fleet.MetricMemory, fleet.MetricLoad, fleet.MetricDisk, fleet.MetricUptime} {
			smp.MarkUnknownAs(m, cause, why)
		}
		return smp, nil
	}
	cp := *last // the checks add services to the copy, never to the shared sample
	cp.Disks = filterMounts(last.Disks, hs.host.Mounts)
	if last.Unknown != nil {
		cp.Unknown = make(map[fleet.Metric]string, len(last.Unknown))
		for k, v := range last.Unknown {
			cp.Unknown[k] = v
		}
		cp.UnknownCause = make(map[fleet.Metric]fleet.Cause, len(last.UnknownCause))
		for k, v := range last.UnknownCause {
			cp.UnknownCause[k] = v
		}
	}
	return &cp, nil
}

// filterMounts keeps the host's configured mounts, all when none are.
func filterMounts(ds []fleet.Disk, mounts []string) []fleet.Disk {
	if len(mounts) == 0 {
		return append([]fleet.Disk(nil), ds...)
	}
	var out []fleet.Disk
	for _, m := range mounts {
		found := false
		for _, d := range ds {
			if d.Mount == m {
				out, found = append(out, d), true
			}
		}
		if !found {
			out = append(out, fleet.Disk{Mount: m, Err: "not in prometheus", ErrCause: fleet.CauseNotInSource})
		}
	}
	return out
}
