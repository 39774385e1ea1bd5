package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/config"
	"github.com/opsdeck/opsdeck/fleet/sshx"
	"github.com/opsdeck/opsdeck/tui"
	"golang.org/x/sys/unix"
)

// watchEvery is how often the config file and the inventory files are
// looked at for a change (a stat each): at most this, and at most the
// shortest poll interval, so an added host is polled within two of them.
const watchEvery = 2 * time.Second

// reloader reloads a running fleet: on SIGHUP, when the config file or an
// inventory file changes, and at each inventory's refresh. The whole new
// fleet is loaded and validated first; if anything is wrong the running
// fleet stays as it was and the news says why (file:line). Otherwise only
// the difference is applied: new hosts start polling, removed ones stop
// (their connections close once no action uses them), hosts reached
// differently reconnect, and every other host keeps its connection, data,
// history and timers.
type reloader struct {
	path string // the config file; "" (the embedded default) never reloads
	// signalOnly: reload on SIGHUP (and inventory refresh) only, not on a
	// change of the file — a server's way (serve-metrics, as Prometheus).
	signalOnly bool
	loader     *config.Loader
	conn       *fleetConn
	store      *fleet.Store
	poller     *fleet.Poller
	drills     actions.DrillHistory
	logger     *slog.Logger
	news       func(tui.ReloadMsg) // the dashboard's status line and header; nil: the log only
	// terminalGone says whether a SIGHUP is the terminal going away (its
	// first meaning): then hangUp is called instead of a reload, and the
	// program ends as it did before SIGHUP meant reload. nil: never.
	terminalGone func() bool
	hangUp       func()

	mu    sync.Mutex
	cfg   *fleet.Config // the running fleet's
	notes []string      // what the last load said, so an unchanged refresh says nothing
	// refused is the last refused reload's error: a refresh refused the
	// same way is not said again.
	refused string
}

// run reloads until ctx ends.
func (r *reloader) run(ctx context.Context) {
	if r.path == "" {
		return
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	every := watchEvery
	r.mu.Lock()
	for i := range r.cfg.Hosts {
		if d := r.cfg.Hosts[i].Interval(); d > 0 && d < every {
			every = max(d, 500*time.Millisecond)
		}
	}
	r.mu.Unlock()
	tick := time.NewTicker(every)
	defer tick.Stop()
	seen := r.stamps()
	refreshed := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if r.terminalGone != nil && r.terminalGone() {
				r.logger.Info("SIGHUP with the terminal gone: stopping")
				r.hangUp()
				return
			}
			r.reload("SIGHUP")
			seen, refreshed = r.stamps(), time.Now()
		case now := <-tick.C:
			if cur := r.stamps(); !r.signalOnly && !maps.Equal(cur, seen) {
				r.reload("file changed")
				seen, refreshed = r.stamps(), now
			} else if every := r.refreshEvery(); every > 0 && now.Sub(refreshed) >= every {
				r.reload("inventory refresh")
				refreshed = now
			}
		}
	}
}

// stamps are the modification time and size of the config file and of
// every inventory file: a change of one is a reload.
func (r *reloader) stamps() map[string]string {
	paths := []string{r.path}
	r.mu.Lock()
	for _, inv := range r.cfg.Inventories {
		if inv.Path != "" {
			p := inv.Path
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(r.path), p)
			}
			paths = append(paths, p)
		}
	}
	r.mu.Unlock()
	out := map[string]string{}
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			out[p] = fmt.Sprintf("%d %d", fi.ModTime().UnixNano(), fi.Size())
		} else {
			out[p] = "missing"
		}
	}
	return out
}

// ttyGone is a reloader's terminalGone for a program on a terminal: the
// terminal of fd was hung up (closed window, ended tmux session, lost
// SSH connection) when asking its size fails.
func ttyGone(fd uintptr) func() bool {
	return func() bool {
		_, err := unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ)
		return err != nil
	}
}

// refreshEvery is the shortest refresh of the inventories, 0 without any.
func (r *reloader) refreshEvery() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var every time.Duration
	for _, inv := range r.cfg.Inventories {
		d := inv.Refresh.Duration
		if d <= 0 {
			d = config.DefaultInventoryRefresh
		}
		if every == 0 || d < every {
			every = d
		}
	}
	return every
}

// reload loads the config again and applies the difference.
func (r *reloader) reload(why string) {
	if r.news == nil {
		r.news = func(tui.ReloadMsg) {}
	}
	start := time.Now()
	c, err := r.load()
	if err != nil {
		r.refuse(why, err, start)
		return
	}
	r.mu.Lock()
	old := r.cfg
	r.mu.Unlock()
	diff := config.DiffHosts(old.Hosts, c.Hosts)
	reconnect, err := r.conn.apply(c, diff)
	if err != nil { // ~/.ssh/config: the transport could not resolve a host
		r.refuse(why, err, start)
		return
	}
	restart := diff.Restart()
	for _, n := range reconnect {
		restart[n] = true
		if !slices.Contains(diff.Reconnect, n) {
			diff.Reconnect = append(diff.Reconnect, n)
			diff.Changed = slices.DeleteFunc(diff.Changed, func(x string) bool { return x == n })
		}
	}
	notes := append(append([]string(nil), c.Notes...), restartNeeded(old, c)...)
	r.mu.Lock()
	same := diff.Empty() && slices.Equal(notes, r.notes)
	r.notes, r.refused = notes, ""
	r.mu.Unlock()
	if same {
		return // an inventory refresh that changed nothing
	}
	r.store.Apply(c.Hosts)
	if len(diff.Added) > 0 {
		loadDrills(r.store, r.drills, r.logger) // the new hosts' drills; the others' are not added twice
	}
	hosts := make([]*fleet.Host, len(c.Hosts))
	for i := range c.Hosts {
		hosts[i] = &c.Hosts[i]
	}
	r.poller.Apply(hosts, restart, r.conn.source)
	r.mu.Lock()
	r.cfg = c
	r.mu.Unlock()
	r.logger.Info("config reloaded", "why", why, "added", diff.Added, "removed", diff.Removed,
		"reconnect", diff.Reconnect, "changed", diff.Changed, "notes", notes, "took", time.Since(start))
	r.news(tui.ReloadMsg{Config: c, Summary: diff.String(), At: start, Notes: notes})
}

// refuse says a reload was refused, once for a refresh refused alike.
func (r *reloader) refuse(why string, err error, at time.Time) {
	r.mu.Lock()
	again := why == "inventory refresh" && r.refused == err.Error()
	r.refused = err.Error()
	r.mu.Unlock()
	if again {
		return
	}
	r.logger.Warn("config not reloaded: the fleet runs as it was", "why", why, "err", err)
	r.news(tui.ReloadMsg{Err: err, At: at})
}

// load reads the config with its inventories and checks its key map, as
// at start.
func (r *reloader) load() (*fleet.Config, error) {
	c, err := r.loader.Load(r.path)
	if err != nil {
		return nil, err
	}
	keys := tui.DefaultKeyMap()
	if err := keys.Rebind(c.Keys); err != nil {
		return nil, fmt.Errorf("%s: [keys]: %w", r.path, err)
	}
	var ps fleet.Problems
	for _, e := range keys.BindCommands(c) {
		ps = append(ps, c.Origin.Problem(e.Path, "commands["+e.Command+"].key", "%s", e.Msg))
	}
	if len(ps) > 0 {
		return nil, ps
	}
	return c, nil
}

// restartNeeded names what a reload does not apply: the shared record,
// the Prometheus source, the key map and known_hosts are read at start.
func restartNeeded(old, cur *fleet.Config) []string {
	var out []string
	for _, x := range []struct {
		what string
		a, b any
	}{
		{"[state]", old.State, cur.State},
		{"[[sources]]", old.Sources, cur.Sources},
		{"[keys]", old.Keys, cur.Keys},
		{"known_hosts", []string{old.Defaults.KnownHosts, old.Defaults.KnownHostsPolicy}, []string{cur.Defaults.KnownHosts, cur.Defaults.KnownHostsPolicy}},
	} {
		if !reflect.DeepEqual(x.a, x.b) {
			out = append(out, x.what+" changed: it takes effect when opsdeck starts again")
		}
	}
	return out
}

// apply makes the connections those of a reloaded fleet: every host is
// resolved again (a host whose target changed, its ssh_config or its jump
// host with it, reconnects: returned); removed and reconnecting hosts'
// clients are forgotten, closed once no session uses them.
func (c *fleetConn) apply(cfg *fleet.Config, d config.Diff) ([]string, error) {
	targets, err := sshx.Resolve(cfg)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	old := c.targets
	var reconnect []string
	for name, t := range targets {
		if o, ok := old[name]; ok && !reflect.DeepEqual(o, t) {
			reconnect = append(reconnect, name)
		}
	}
	c.targets, c.cfg = targets, cfg
	c.mu.Unlock()
	for name := range old {
		if _, stays := targets[name]; !stays || slices.Contains(reconnect, name) {
			c.pool.Forget(name)
		}
		if _, stays := targets[name]; !stays {
			c.mu.Lock()
			delete(c.byHost, name)
			c.mu.Unlock()
		}
	}
	return reconnect, nil
}
