// Package reload applies a changed config to a running fleet: the whole
// new fleet is loaded and validated first and the old one kept if it
// fails (as Prometheus does on SIGHUP); else only the difference is
// applied, every other host keeping its connection, data and timers.
package reload

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

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/config"
	"golang.org/x/sys/unix"
)

// watchEvery is how often the config file and the inventory files are
// looked at for a change (a stat each): at most this, and at most the
// shortest poll interval, so an added host is polled within two of them.
const watchEvery = 2 * time.Second

// Reloader reloads a running fleet: on SIGHUP, when the config file or an
// inventory file changes, and at each inventory's refresh. The whole new
// fleet is loaded and validated first; if anything is wrong the running
// fleet stays as it was and the news says why (file:line). Otherwise only
// the difference is applied: new hosts start polling, removed ones stop
// (their connections close once no action uses them), hosts reached
// differently reconnect, and every other host keeps its connection, data,
// history and timers.
type Reloader struct {
	Path string // the config file; "" (the embedded default) never reloads
	// SignalOnly: reload on SIGHUP (and inventory refresh) only, not on a
	// change of the file — a server's way (serve-metrics, as Prometheus).
	SignalOnly bool
	Loader     *config.Loader
	Store      *fleet.Store
	Poller     *fleet.Poller
	Logger     *slog.Logger
	// Source makes a host's source, as at start.
	Source fleet.SourceFor
	// Check refuses a loaded config the way start does (the key map), nil:
	// none.
	Check func(*fleet.Config) error
	// Reach makes the transport that of the new fleet (every host resolved
	// again): the hosts it must reconnect, or why it cannot.
	Reach func(*fleet.Config) ([]string, error)
	// Added is told when hosts were added (their drill history is read).
	Added func()
	// News tells the screen (nil: the log only).
	News func(config.Reloaded)
	// terminalGone says whether a SIGHUP is the terminal going away (its
	// first meaning): then hangUp is called instead of a reload, and the
	// program ends as it did before SIGHUP meant reload. nil: never.
	TerminalGone func() bool
	HangUp       func()

	// Fleet is the running fleet's config: set it before Run; then
	// Config says it, as each reload replaces it.
	Fleet *fleet.Config

	mu    sync.Mutex
	notes []string // what the last load said, so an unchanged refresh says nothing
	// refused is the last refused reload's error: a refresh refused the
	// same way is not said again.
	refused string
}

// news tells the screen, if any.
func (r *Reloader) news(n config.Reloaded) {
	if r.News != nil {
		r.News(n)
	}
}

// Run reloads the running fleet until ctx ends.
func (r *Reloader) Run(ctx context.Context) {
	r.mu.Lock()
	r.notes = r.Fleet.Notes
	r.mu.Unlock()
	if r.Path == "" {
		return
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	every := watchEvery
	r.mu.Lock()
	for i := range r.Fleet.Hosts {
		if d := r.Fleet.Hosts[i].Interval(); d > 0 && d < every {
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
			if r.TerminalGone != nil && r.TerminalGone() {
				r.Logger.Info("SIGHUP with the terminal gone: stopping")
				r.HangUp()
				return
			}
			r.Reload("SIGHUP")
			seen, refreshed = r.stamps(), time.Now()
		case now := <-tick.C:
			if cur := r.stamps(); !r.SignalOnly && !maps.Equal(cur, seen) {
				r.Reload("file changed")
				seen, refreshed = r.stamps(), now
			} else if every := r.refreshEvery(); every > 0 && now.Sub(refreshed) >= every {
				r.Reload("inventory refresh")
				refreshed = now
			}
		}
	}
}

// stamps are the modification time and size of the config file and of
// every inventory file: a change of one is a reload.
func (r *Reloader) stamps() map[string]string {
	paths := []string{r.Path}
	r.mu.Lock()
	for _, inv := range r.Fleet.Inventories {
		if inv.Path != "" {
			p := inv.Path
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(r.Path), p)
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

// TTYGone is a Reloader's terminalGone for a program on a terminal: the
// terminal of fd was hung up (closed window, ended tmux session, lost
// SSH connection) when asking its size fails.
func TTYGone(fd uintptr) func() bool {
	return func() bool {
		_, err := unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ)
		return err != nil
	}
}

// Config is the running fleet's config, as last reloaded.
func (r *Reloader) Config() *fleet.Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.Fleet
}

// refreshEvery is the shortest refresh of the inventories, 0 without any.
func (r *Reloader) refreshEvery() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var every time.Duration
	for _, inv := range r.Fleet.Inventories {
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

// Reload loads the config again now and applies the difference (why
// goes to the log).
func (r *Reloader) Reload(why string) {
	start := time.Now()
	c, err := r.load()
	if err != nil {
		r.refuse(why, err, start)
		return
	}
	r.mu.Lock()
	old := r.Fleet
	r.mu.Unlock()
	diff := config.DiffHosts(old.Hosts, c.Hosts)
	reconnect, err := r.Reach(c)
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
	same := diff.Empty() && slices.Equal(notes, r.notes) && reflect.DeepEqual(old.OnCall, c.OnCall) // windows reload too
	r.notes, r.refused = notes, ""
	r.mu.Unlock()
	if same {
		return // an inventory refresh that changed nothing
	}
	r.Store.Apply(c.Hosts)
	if len(diff.Added) > 0 && r.Added != nil {
		r.Added() // the new hosts' drills; the others' are not added twice
	}
	hosts := make([]*fleet.Host, len(c.Hosts))
	for i := range c.Hosts {
		hosts[i] = &c.Hosts[i]
	}
	r.Poller.Apply(hosts, restart, r.Source)
	r.mu.Lock()
	r.Fleet = c
	r.mu.Unlock()
	r.Logger.Info("config reloaded", "why", why, "added", diff.Added, "removed", diff.Removed,
		"reconnect", diff.Reconnect, "changed", diff.Changed, "notes", notes, "took", time.Since(start))
	r.news(config.Reloaded{Config: c, Summary: diff.String(), At: start, Notes: notes})
}

// refuse says a reload was refused, once for a refresh refused alike.
func (r *Reloader) refuse(why string, err error, at time.Time) {
	r.mu.Lock()
	again := why == "inventory refresh" && r.refused == err.Error()
	r.refused = err.Error()
	r.mu.Unlock()
	if again {
		return
	}
	r.Logger.Warn("config not reloaded: the fleet runs as it was", "why", why, "err", err)
	r.news(config.Reloaded{Err: err, At: at})
}

// load reads the config with its inventories and checks its key map, as
// at start.
func (r *Reloader) load() (*fleet.Config, error) {
	c, err := r.Loader.Load(r.Path)
	if err != nil {
		return nil, err
	}
	if r.Check != nil {
		if err := r.Check(c); err != nil {
			return nil, err
		}
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
