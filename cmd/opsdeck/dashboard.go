package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-isatty"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/config"
	"github.com/opsdeck/opsdeck/themes"
	"github.com/opsdeck/opsdeck/tui"
)

// shutdownWait bounds how long opsdeck waits for pollers after the UI ends.
const shutdownWait = 2 * time.Second

// frameRate is how often a second the screen may be painted. bubbletea's
// renderer wakes at this rate for as long as the program runs, changed or
// not; its default, 60, was about half of an idle dashboard's CPU. The data
// changes 4 times a second (the tick) and a key's echo within 50 ms is
// immediate to a person.
const frameRate = 20

func runDashboard(ctx context.Context, g *globals) error {
	palette, err := themes.Get(g.theme)
	if err != nil {
		return withCode(exitConfig, err)
	}
	loc, err := fleet.Locate(g.config)
	if err != nil {
		return withCode(exitConfig, err)
	}
	loader := &config.Loader{Context: ctx}
	cfg, keys, err := loadConfigWith(loader, loc)
	if err != nil {
		return withCode(exitConfig, err)
	}
	if !isatty.IsTerminal(os.Stdout.Fd()) || !isatty.IsTerminal(os.Stdin.Fd()) {
		return withCode(exitRuntime, errors.New("the dashboard needs a terminal (stdin and stdout must be a TTY); to validate a config headless use 'opsdeck config check'"))
	}
	logger, closeLog := openLog()
	defer closeLog()
	logger.Info("start", "version", buildVersion(), "config", describe(loc), "hosts", len(cfg.Hosts), "notes", cfg.Notes)

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conn, err := connect(cfg)
	if err != nil {
		return withCode(exitConfig, err)
	}
	defer conn.Close()
	st, err := openStateLate(ctx, cfg)
	if st == nil {
		return withCode(exitRuntime, err)
	}
	defer st.Close()
	logger.Info("record", "where", st.audit.Where(), "err", err) // err: not open yet, retried
	store := fleet.NewStore(cfg.Hosts)
	loadDrills(store, st.drills, logger)
	poller := fleet.NewPoller(cfg, store, conn.source)
	conn.setPollNow(poller.PollNow)
	sources := conn.startSources(ctx)
	poller.Start(ctx)
	events := startHistory(ctx, store, st.events, logger)

	mgr := conn.actions(g.readOnly, st)
	mgr.After = func(host string) {
		conn.recheck(host) // a snapshot's new artefact shows at once
		poller.PollNow(host)
	}
	desk, deskDone := startDesk(ctx, st, cfg, store, min(cfg.Defaults.PollInterval.Duration, 5*time.Second), !g.readOnly, logger)
	mgr.SilenceOf = silenceOf(desk, store)
	prefs, prefsPath := uiPrefs(logger)
	renderer := lipgloss.NewRenderer(os.Stdout)
	m := tui.New(tui.Options{
		Prefs:     prefs,
		PrefsPath: prefsPath,
		Events:    events.log,
		Logs:      conn.executor(),
		Shell:     conn.shell,
		TrustKey:  conn.pool.TrustKey,
		Since:     events.tracker.Since,
		Config:    cfg,
		Store:     store,
		PollNow:   poller.PollNow,
		Styles:    themes.New(palette, renderer),
		Keys:      keys,
		ReadOnly:  g.readOnly,
		Actions:   mgr,
		OnCall:    desk,
		Healthy:   healthyAgain(store, poller),
		Context:   ctx,
		Drills:    st.drills,
		Sources:   conn.sources,
	})
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithAltScreen(), tea.WithFPS(frameRate))
	team := watchTeam(ctx, st, cfg, store, conn, func(m tui.TeamMsg) { p.Send(m) }, logger)
	var hungUp atomic.Bool
	rl := &reloader{path: loc.Path, loader: loader, conn: conn, store: store, poller: poller, drills: st.drills,
		logger: logger, cfg: cfg, notes: cfg.Notes, news: func(m tui.ReloadMsg) { p.Send(m) },
		terminalGone: ttyGone(os.Stdout.Fd()), hangUp: func() { hungUp.Store(true); p.Kill() }}
	reloads := make(chan struct{})
	go func() { defer close(reloads); rl.run(ctx) }()
	if len(cfg.Notes) > 0 {
		go p.Send(tui.ReloadMsg{Notes: cfg.Notes, At: time.Now()}) // said once, on the status line
	}
	_, runErr := p.Run()
	interrupted := parent.Err() != nil || hungUp.Load() // SIGINT/SIGTERM/SIGHUP of a closed terminal, not a key
	cancel()
	waitFor(poller.Wait, shutdownWait, logger)
	waitFor(sources, shutdownWait, logger)
	waitFor(events.Wait, shutdownWait, logger)
	waitFor(team.Wait, shutdownWait, logger)
	waitFor(deskDone, shutdownWait, logger)
	waitFor(func() { <-reloads }, shutdownWait, logger)
	waitFor(mgr.Wait, shutdownWait, logger) // cancelled actions are still audited
	logger.Info("stop", "err", runErr, "interrupted", interrupted)
	switch {
	case interrupted:
		return withCode(exitCanceled, context.Canceled)
	case runErr != nil:
		return withCode(exitRuntime, runErr)
	}
	return nil
}

// loadDrills puts the recorded drill history into the store. A history
// that cannot be read (a damaged file, a shared record that does not
// answer) leaves the drilled backups UNKNOWN, never "not drilled".
func loadDrills(store *fleet.Store, log actions.DrillHistory, logger *slog.Logger) {
	if err := log.Each(store.RecordDrill); err != nil {
		// Not "never drilled": unknown, until it is read.
		logger.Warn("drill history unreadable", "where", log.Where(), "err", err)
		store.SetDrillsUnknown(fleet.Sanitize(err.Error(), 160))
		return
	}
	store.SetDrillsUnknown("")
}

// waitFor waits for fn to return, at most d.
func waitFor(fn func(), d time.Duration, logger *slog.Logger) {
	done := make(chan struct{})
	go func() { fn(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		logger.Warn("pollers did not stop in time", "waited", d)
	}
}

// openLog opens the log file in the state directory. Logging must never
// write to the terminal the dashboard draws on; when the file cannot be
// opened, logs are dropped.
func openLog() (*slog.Logger, func()) {
	if f, err := fleet.OpenPrivate(filepath.Join(fleet.StateDir(), "opsdeck.log")); err == nil {
		return slog.New(slog.NewTextHandler(f, nil)), func() { _ = f.Close() }
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}
}

// uiPrefs reads the remembered sort and filter from the state directory
// and says where changes go; without a state directory nothing is kept.
// An unreadable file only means the defaults.
func uiPrefs(logger *slog.Logger) (tui.Prefs, string) {
	dir := fleet.StateDir()
	if dir == "" || fleet.PrivateDir(dir) != nil {
		return tui.Prefs{}, ""
	}
	path := filepath.Join(dir, "ui.json")
	p, err := tui.LoadPrefs(path)
	if err != nil {
		logger.Warn("ui preferences unreadable, using the defaults", "path", path, "err", err)
	}
	return p, path
}

// healthyWait bounds how long a rolling restart waits for a service to run
// again before it stops.
const healthyWait = time.Minute

// healthyAgain waits until a fresh poll shows the restarted service
// running: the next host of a rolling restart waits for it.
func healthyAgain(store *fleet.Store, poller *fleet.Poller) func(context.Context, *actions.Plan) error {
	return func(ctx context.Context, p *actions.Plan) error {
		since := time.Now()
		ctx, cancel := context.WithTimeout(ctx, healthyWait)
		defer cancel()
		poller.PollNow(p.Host.Name)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		last := "no poll yet"
		for {
			if st, ok := store.Status(p.Host.Name); ok && st.Last != nil && st.Last.At.After(since) {
				for _, sv := range st.Last.Services {
					if sv.Name != p.Target {
						continue
					}
					if sv.Running {
						return nil
					}
					last = sv.State
				}
				poller.PollNow(p.Host.Name)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s on %s not running within %s (last seen: %s)", p.Target, p.Host.Name, healthyWait, last)
			case <-tick.C:
			}
		}
	}
}
