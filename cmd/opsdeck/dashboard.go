package main

import (
	"context"
	"errors"
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
	"github.com/opsdeck/opsdeck/fleet/reload"
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
	cfg, err := loadConfigWith(loader, loc)
	if err != nil {
		return withCode(exitConfig, err)
	}
	if !isatty.IsTerminal(os.Stdout.Fd()) || !isatty.IsTerminal(os.Stdin.Fd()) {
		return withCode(exitRuntime, errors.New("the dashboard needs a terminal (stdin and stdout must be a TTY); to validate a config headless use 'opsdeck config check'"))
	}
	logger, closeLog := fleet.OpenLog()
	defer closeLog()
	logger.Info("start", "version", buildVersion(), "config", loc.Describe(), "hosts", len(cfg.Hosts), "notes", cfg.Notes, "left out", cfg.Left)
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d, err := buildDeck(ctx, cfg, deckOptions{lateRecord: true, logger: logger})
	if d == nil {
		return err
	}
	defer d.Close()
	logger.Info("record", "where", d.st.Audit.Where(), "err", err) // err: not open yet, retried
	dash := &dashboard{deck: d, g: g, loc: loc, loader: loader}
	return dash.run(ctx, parent, cancel, tui.Options{Styles: themes.New(palette, lipgloss.NewRenderer(os.Stdout)), Keys: dashboardKeys(d.cfg)})
}

// dashboard is the screen's run over a deck.
type dashboard struct {
	*deck
	g      *globals
	loc    fleet.Located
	loader *config.Loader
}

// run polls the fleet, shows it until the operator quits or a signal
// ends it, and waits (bounded) for everything it started.
func (dash *dashboard) run(ctx, parent context.Context, cancel func(), opt tui.Options) error {
	d, logger := dash.deck, dash.logger
	sources := d.conn.StartSources(ctx)
	d.poller.Start(ctx)
	events := fleet.StartHistory(ctx, d.store, d.st.Events, logger)
	mgr := managerOf(d.conn, dash.g.readOnly, d.st)
	mgr.After = func(host string) {
		d.conn.Recheck(host) // a snapshot's new artefact shows at once
		d.poller.PollNow(host)
	}
	desk, deskDone := d.keepDesk(ctx, !dash.g.readOnly)
	fillKept := d.keepFill(ctx)
	mgr.SilenceOf = desk.SilenceOf(d.store)
	opt.Prefs, opt.PrefsPath = uiPrefs(logger)
	opt.Events, opt.Logs, opt.Shell, opt.TrustKey, opt.Since = events.Log, executorOf(d.conn), func(h string) (tea.ExecCommand, []string, error) { return shellOf(d.conn, h) }, d.conn.Pool.TrustKey, events.Tracker.Since
	opt.Config, opt.Store, opt.PollNow, opt.ReadOnly = d.cfg, d.store, d.poller.PollNow, dash.g.readOnly
	opt.Actions, opt.OnCall, opt.Healthy, opt.Context = mgr, desk, actions.HealthyAgain(d.store, d.poller), ctx
	opt.Drills, opt.Sources = d.st.Drills, d.conn.Sources
	p := tea.NewProgram(tui.New(opt), tea.WithContext(ctx), tea.WithAltScreen(), tea.WithFPS(frameRate))
	team := d.st.Watch(ctx, d.cfg, d.store, d.conn.Restarting, func(m actions.TeamNews) { p.Send(m) }, logger)
	var hungUp atomic.Bool
	rl := d.newReloader(dash.loc.Path, dash.loader)
	rl.News = func(m config.Reloaded) { desk.Reloaded(m.Config); p.Send(m) }
	rl.TerminalGone, rl.HangUp = reload.TTYGone(os.Stdout.Fd()), func() { hungUp.Store(true); p.Kill() }
	reloads := make(chan struct{})
	go func() { defer close(reloads); rl.Run(ctx) }()
	if len(d.cfg.Notes) > 0 {
		go p.Send(tui.ReloadMsg{Notes: d.cfg.Notes, At: time.Now()}) // said once, on the status line
	}
	_, runErr := p.Run()
	interrupted := parent.Err() != nil || hungUp.Load() // SIGINT/SIGTERM/SIGHUP of a closed terminal, not a key
	cancel()
	for _, wait := range []func(){d.poller.Wait, sources, events.Wait, team.Wait, deskDone, fillKept, func() { <-reloads }, mgr.Wait} {
		waitFor(wait, shutdownWait, logger) // the last: cancelled actions are still audited
	}
	logger.Info("stop", "err", runErr, "interrupted", interrupted)
	switch {
	case interrupted:
		return withCode(exitCanceled, context.Canceled)
	case runErr != nil:
		return withCode(exitRuntime, runErr)
	}
	return nil
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
