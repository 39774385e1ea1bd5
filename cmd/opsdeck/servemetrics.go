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
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/config"
	"github.com/opsdeck/opsdeck/fleet/reload"
	"github.com/opsdeck/opsdeck/fleet/report"
	"github.com/spf13/cobra"
)

// defaultMetricsAddr is loopback: serving every interface is a choice.
const defaultMetricsAddr = "127.0.0.1:9469"

func newServeMetricsCmd(g *globals) *cobra.Command {
	var shard, site string
	cmd := &cobra.Command{
		Use:   "serve-metrics [ADDRESS]",
		Short: "Poll the fleet continuously and serve the results as Prometheus metrics",
		Long: `Poll every host as the dashboard does (same config, probes, thresholds
and cadences) and serve the results on http://ADDRESS/metrics in
Prometheus' text format: the metrics of 'opsdeck check --textfile', judged
at each scrape, so a host that stops answering turns STALE and then DOWN
(2) there as on the screen. ADDRESS defaults to ` + defaultMetricsAddr + `
(loopback); ":9469" listens on every interface. SIGHUP reloads the config
(and its inventories) as the dashboard does: a bad config keeps the
running fleet and logs why. With --shard I/N, one of N pollers.`,
		Example: `  opsdeck serve-metrics
  opsdeck serve-metrics :9469 --config /etc/opsdeck/config.toml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr := defaultMetricsAddr
			if len(args) == 1 {
				addr = args[0]
			}
			return serveMetrics(cmd.Context(), g, addr, shard, site, cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&shard, "shard", "", "watch shard I of N of the fleet only (I from 0), split as Prometheus' hashmod of the host name")
	cmd.Flags().StringVar(&site, "site", "", "label every series with site=NAME")
	return cmd
}

func serveMetrics(ctx context.Context, g *globals, addr, shard, site string, errOut io.Writer) error {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	sh, err := fleet.ParseShard(shard)
	loc, lerr := fleet.Locate(g.config)
	if err = errors.Join(err, lerr); err != nil {
		return withCode(exitConfig, err)
	}
	loader := &config.Loader{Context: ctx, Shard: sh}
	poller := &report.Poller{Shard: sh.String(), Site: site, Version: buildVersion()}
	cfg, err := loadConfigWith(loader, loc)
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
	defer ln.Close()
	// A shared record that does not answer at start is opened when it
	// does; until then the drilled backups are UNKNOWN.
	logger := slog.New(slog.NewTextHandler(errOut, nil))
	d, err := buildDeck(ctx, cfg, deckOptions{lateRecord: true, logger: logger})
	if d == nil {
		return err
	}
	defer d.Close()
	if err != nil {
		logger.Warn("shared record not open; retried every poll interval", "where", d.st.Audit.Where(), "err", err)
	}
	pollCtx, stopPolls := context.WithCancel(ctx)
	defer stopPolls()
	defer d.conn.StartSources(pollCtx)() // after stopPolls, in defer order
	d.poller.Start(pollCtx)
	team := d.st.Watch(pollCtx, cfg, d.store, d.conn.Restarting, func(actions.TeamNews) {}, logger)
	defer team.Wait()
	desk, deskDone := d.keepDesk(pollCtx, true)
	defer deskDone()
	defer d.keepFill(pollCtx)()
	rl := d.newReloader(loc.Path, loader)
	rl.SignalOnly, rl.News = true, func(m config.Reloaded) { desk.Reloaded(m.Config) }
	if isatty.IsTerminal(os.Stdin.Fd()) { // run from a terminal: its hangup still ends it
		rl.TerminalGone = reload.TTYGone(os.Stdin.Fd())
		rl.HangUp = func() { stop(errors.New("SIGHUP: its terminal is gone")) }
	}
	reloads := make(chan struct{})
	go func() { defer close(reloads); rl.Run(pollCtx) }()
	defer func() { <-reloads }()
	fmt.Fprintf(errOut, "opsdeck: serving the metrics of %d host(s) on http://%s/metrics\n", len(cfg.Hosts), ln.Addr())
	return serve(ctx, ln, metricsHandler(d, rl, desk, poller), errOut, func() { stopPolls(); d.poller.Wait() })
}

// metricsHandler serves /metrics: the fleet judged at each scrape, with
// what the last load of the config (rl's) said.
func metricsHandler(d *deck, rl *reload.Reloader, desk *oncall.Desk, poller *report.Poller) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		now := time.Now()
		rep := report.Judged(d.store, true, func(*fleet.HostStatus) time.Time { return now })
		rep.Loaded(rl.Config())
		rep.Poller = poller
		desk.View().Annotate(&rep, d.store.Host, now)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		io.WriteString(w, report.Metrics(rep, report.Points(d.store, now), now))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "opsdeck: metrics at /metrics\n")
	})
	return mux
}

// serve serves h on ln until ctx ends or serving fails, then shuts the
// server down and runs stop, each within shutdownWait.
func serve(ctx context.Context, ln net.Listener, h http.Handler, errOut io.Writer, stop func()) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
		fmt.Fprintf(errOut, "opsdeck: %v: stopping\n", context.Cause(ctx))
	case err = <-served:
	}
	shut, cancel := context.WithTimeout(context.Background(), shutdownWait)
	defer cancel()
	_ = srv.Shutdown(shut)
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-shut.Done():
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return withCode(exitRuntime, fmt.Errorf("serve-metrics: %w", err))
	}
	return nil
}
