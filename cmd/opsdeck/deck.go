package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet/probe"

	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/actions/record"
	"github.com/opsdeck/opsdeck/fleet"
)

// deckOptions say how a command uses the fleet.
type deckOptions struct {
	// oneShot: one pass (heavy checks after the poll, CPU over a second);
	// skipUpdates: do not count pending updates (a simulated upgrade costs
	// each host seconds of CPU: check counts them only when asked).
	oneShot, skipUpdates bool
	// lateRecord: a shared database that does not answer is opened when it
	// does (the error says why it is not open now); else it is an error.
	lateRecord bool
	// logger logs (nil: nothing). quietLate: nothing of the record's is
	// logged while it does not answer (the command says it once).
	logger    *slog.Logger
	quietLate bool
	// actionsOnly: connections and the record, no store or poller (a
	// headless action reads the one host it acts on, when it needs to).
	actionsOnly bool
	// record is the record to use, open already (the deck does not close
	// it); nil: the deck opens the config's.
	record *record.Record
}

// deck is what every command that watches or acts on the fleet is built
// of, in one place: the config's connections, the record, the store with
// the drill history in it, and the poller (not started; neither for a
// headless action).
type deck struct {
	cfg    *fleet.Config
	conn   *probe.Fleet
	st     *record.Record
	store  *fleet.Store
	poller *fleet.Poller
	logger *slog.Logger
	// oneShot: its poller polls once (Once), and Close closes its sources;
	// a started poller closes them when it stops.
	oneShot bool
	// ownRecord: the deck opened its record, and closes it.
	ownRecord bool
}

// buildDeck builds the runtime of cfg. A shared record that does not
// answer, with lateRecord, gives a deck and the error saying why.
func buildDeck(ctx context.Context, cfg *fleet.Config, o deckOptions) (*deck, error) {
	conn, err := probe.Connect(cfg)
	if err != nil {
		return nil, withCode(exitConfig, err)
	}
	conn.OneShot, conn.Updates = o.oneShot, !o.skipUpdates
	open := record.Open
	if o.lateRecord {
		open = record.OpenLate
	}
	st, err := o.record, error(nil)
	if st == nil {
		st, err = open(ctx, cfg)
	}
	if st == nil {
		conn.Close()
		return nil, withCode(exitRuntime, err)
	}
	logger := o.logger
	if logger == nil || err != nil && o.quietLate {
		logger = slog.New(slog.DiscardHandler)
	}
	rt := &deck{cfg: cfg, conn: conn, st: st, logger: logger, oneShot: o.oneShot, ownRecord: o.record == nil}
	if o.actionsOnly {
		return rt, err
	}
	rt.store = fleet.NewStore(cfg.Hosts)
	record.LoadDrills(rt.store, st.Drills, logger)
	if ferr := st.LoadFill(rt.store); ferr != nil { // forecasts wait for new history
		logger.Warn("fill history unreadable", "err", ferr)
	}
	rt.poller = fleet.NewPoller(cfg, rt.store, conn.Source)
	conn.Attach(rt.store, rt.poller.PollNow)
	return rt, err
}

// Close stops the poller and closes the connections and the record.
func (rt *deck) Close() {
	if rt.oneShot && rt.poller != nil {
		rt.poller.Close()
	}
	rt.conn.Close()
	if rt.ownRecord {
		rt.st.Close()
	}
}

// keepFill keeps the store's fill histories in the record every step
// until ctx ends, and once more then; wait returns once it has.
func (rt *deck) keepFill(ctx context.Context) (wait func()) {
	done := make(chan struct{})
	go func() { defer close(done); rt.st.KeepFill(ctx, rt.store, fleet.FillStep, rt.logger) }()
	return func() { <-done }
}

// desk is the team's on-call desk, its log read now.
func (rt *deck) desk() (*oncall.Desk, error) {
	log, err := rt.st.OnCall()
	if err != nil {
		return nil, err
	}
	d := newDesk(log, rt.st, rt.conn.Config())
	_, err = d.Refresh(time.Now())
	return d, err
}

// newDesk is a desk on log, auditing in st's audit log.
func newDesk(log oncall.Log, st *record.Record, cfg *fleet.Config) *oncall.Desk {
	return &oncall.Desk{Log: log, Audit: st.Audit, Operator: actions.Operator(), MaxSilence: cfg.OnCall.MaxSilence.Duration, Windows: cfg.OnCall.Windows}
}

// keepDesk keeps a desk on the record's on-call log (found on each use:
// a database that did not answer at start is used once it does) fresh
// until ctx ends, read every interval; with settle, the acknowledgements
// whose check got OK, worse or old are ended. wait returns once it has
// stopped.
func (rt *deck) keepDesk(ctx context.Context, settle bool) (d *oncall.Desk, wait func()) {
	d = newDesk(rt.st.OnCallLog(), rt.st, rt.cfg)
	every := min(rt.cfg.Defaults.PollInterval.Duration, 5*time.Second)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Keep(ctx, rt.store, every, settle, rt.logger)
	}()
	return d, func() { <-done }
}
