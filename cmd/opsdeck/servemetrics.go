package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/config"
	"github.com/opsdeck/opsdeck/tui"
	"github.com/spf13/cobra"
)

// defaultMetricsAddr is loopback: serving every interface is a choice.
const defaultMetricsAddr = "127.0.0.1:9469"

func newServeMetricsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "serve-metrics [ADDRESS]",
		Short: "Poll the fleet continuously and serve the results as Prometheus metrics",
		Long: `Poll every host as the dashboard does (same config, probes, thresholds
and cadences) and serve the results on http://ADDRESS/metrics in
Prometheus' text format: the metrics of 'opsdeck check --textfile', judged
at each scrape, so a host that stops answering turns STALE and then DOWN
(2) there as on the screen. ADDRESS defaults to ` + defaultMetricsAddr + `
(loopback); ":9469" listens on every interface. SIGHUP reloads the config
(and its inventories, also read again at their refresh) as the dashboard
does: a bad config keeps the running fleet and logs why. SIGINT or SIGTERM
stops it.`,
		Example: `  opsdeck serve-metrics
  opsdeck serve-metrics :9469 --config /etc/opsdeck/config.toml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr := defaultMetricsAddr
			if len(args) == 1 {
				addr = args[0]
			}
			return serveMetrics(cmd.Context(), g, addr, cmd.ErrOrStderr())
		},
	}
}

func serveMetrics(ctx context.Context, g *globals, addr string, errOut io.Writer) error {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	loc, err := fleet.Locate(g.config)
	if err != nil {
		return withCode(exitConfig, err)
	}
	loader := &config.Loader{Context: ctx}
	cfg, _, err := loadConfigWith(loader, loc)
	if err != nil {
		return withCode(exitConfig, err)
	}
	for _, n := range cfg.Notes {
		fmt.Fprintln(errOut, "opsdeck:", n)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return withCode(exitRuntime, fmt.Errorf("serve-metrics: %w", err))
	}
	conn, err := connect(cfg)
	if err != nil {
		ln.Close()
		return withCode(exitConfig, err)
	}
	defer conn.Close()
	// A shared record that does not answer at start is opened when it
	// does; until then the drilled backups are UNKNOWN.
	st, err := openStateLate(ctx, cfg)
	if st == nil {
		ln.Close()
		return withCode(exitRuntime, err)
	}
	defer st.Close()
	logger := slog.New(slog.NewTextHandler(errOut, nil))
	if err != nil {
		logger.Warn("shared record not open; retried every poll interval", "where", st.audit.Where(), "err", err)
	}
	store := fleet.NewStore(cfg.Hosts)
	loadDrills(store, st.drills, logger)
	pollCtx, stopPolls := context.WithCancel(ctx)
	poller := fleet.NewPoller(cfg, store, conn.source)
	defer conn.startSources(pollCtx)() // after stopPolls, in defer order
	poller.Start(pollCtx)
	team := watchTeam(pollCtx, st, cfg, store, conn, func(tui.TeamMsg) {}, logger)
	defer team.Wait()
	desk, deskDone := startDesk(pollCtx, st, cfg, store, min(cfg.Defaults.PollInterval.Duration, 5*time.Second), true, logger)
	defer deskDone()
	rl := &reloader{path: loc.Path, signalOnly: true, loader: loader, conn: conn, store: store, poller: poller,
		drills: st.drills, logger: logger, cfg: cfg, notes: cfg.Notes}
	if isatty.IsTerminal(os.Stdin.Fd()) { // run from a terminal: its hangup still ends it
		rl.terminalGone = ttyGone(os.Stdin.Fd())
		rl.hangUp = func() { stop(errors.New("SIGHUP: its terminal is gone")) }
	}
	reloads := make(chan struct{})
	go func() { defer close(reloads); rl.run(pollCtx) }()
	defer func() { <-reloads }()

	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		now := time.Now()
		rep := judgedReport(store, true, func(*fleet.HostStatus) time.Time { return now })
		annotate(&rep, storeHost(store), desk.View(), now)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		io.WriteString(w, renderMetrics(rep, fleetPoints(store, now), now))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "opsdeck: metrics at /metrics\n")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(errOut, "opsdeck: serving the metrics of %d host(s) on http://%s/metrics\n", len(cfg.Hosts), ln.Addr())

	select {
	case <-ctx.Done():
		fmt.Fprintf(errOut, "opsdeck: %v: stopping\n", context.Cause(ctx))
	case err = <-served:
	}
	shut, cancel := context.WithTimeout(context.Background(), shutdownWait)
	defer cancel()
	_ = srv.Shutdown(shut)
	stopPolls()
	waited := make(chan struct{})
	go func() { poller.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-shut.Done():
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return withCode(exitRuntime, fmt.Errorf("serve-metrics: %w", err))
	}
	return nil
}
