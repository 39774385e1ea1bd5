package probe

import (
	"context"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/prom"
)

// promOrSSH is a host the Prometheus source may cover: its resources come
// from Prometheus (services, backups and security over SSH) unless
// Prometheus' last answer had no series of it at all (a host not yet
// scraped); then the SSH probe reads everything, as for a host with no
// source, instead of showing it blind. Each poll asks anew: a host
// Prometheus starts to scrape moves to it. A target Prometheus fails to
// scrape (up == 0) stays on it, and says so.
type promOrSSH struct {
	name   string
	prom   *prom.Source
	via    HostChecks
	newSSH func() HostChecks // made the first time it is needed

	mu  sync.Mutex
	ssh HostChecks
}

func (p *promOrSSH) active(ctx context.Context) HostChecks {
	if !p.prom.Absent(ctx, p.name) {
		return p.via
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ssh == nil {
		p.ssh = p.newSSH()
	}
	return p.ssh
}

// each is both sources, the SSH probe once made.
func (p *promOrSSH) each() []HostChecks {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ssh == nil {
		return []HostChecks{p.via}
	}
	return []HostChecks{p.via, p.ssh}
}

func (p *promOrSSH) Sample(ctx context.Context) (*fleet.Sample, error) {
	return p.active(ctx).Sample(ctx)
}

// Connect connects the SSH probe's host before its poll's clock starts;
// through Prometheus, connecting waits for a check to need it.
func (p *promOrSSH) Connect(ctx context.Context, budget time.Duration) error {
	if c, ok := p.active(ctx).(fleet.Connector); ok {
		return c.Connect(ctx, budget)
	}
	return nil
}

func (p *promOrSSH) Settle(ctx context.Context, s *fleet.Sample) {
	if st, ok := p.active(ctx).(fleet.Settler); ok {
		st.Settle(ctx, s)
	}
}

func (p *promOrSSH) Close() {
	for _, src := range p.each() {
		if c, ok := src.(interface{ Close() }); ok {
			c.Close()
		}
	}
}

func (p *promOrSSH) Recheck() {
	for _, src := range p.each() {
		src.Recheck()
	}
}

func (p *promOrSSH) Restarting(service string) {
	for _, src := range p.each() {
		src.Restarting(service)
	}
}
