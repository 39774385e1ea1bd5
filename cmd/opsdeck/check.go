package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/actions/notify"
	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/report"
	"github.com/spf13/cobra"
)

// Monitoring-plugin exit codes of opsdeck check: report's scale.
const (
	checkOK       = report.ExitOK
	checkCrit     = report.ExitCrit
	checkUnknown  = report.ExitUnknown
	checkDeadline = time.Minute
)

type checkFlags struct {
	json, verbose, always bool
	updates               bool
	notifyURL, notifyCmd  string
	notifyKind            string
	heartbeat             string
	format, textfile      string
	timeout               time.Duration
}

func newCheckCmd(g *globals) *cobra.Command {
	f := &checkFlags{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "One headless pass over the fleet; exit status by the worst state",
		Long: `Poll every host once — the same config, probes and thresholds as the
dashboard — print the findings that are not OK (all of them with -v, JSON
with --json) and exit with the monitoring-plugin convention:
` + report.ScaleText() + ` (or a usage or config
error).
--format nagios prints a monitoring plugin's output (status line, findings,
perfdata with each figure's thresholds); --textfile PATH.prom writes every
check and figure for node_exporter's textfile collector.

--notify URL posts a Slack-compatible {"text": …} message and --notify-cmd
pipes the report to a command, only when a finding changed state since the
last run (kept in $XDG_STATE_HOME/opsdeck/check-state.json), or on every run
with --notify-always. A failed notification is reported on stderr and in
the exit status, and is retried on the next run.`,
		Example: `  opsdeck check
  opsdeck check --json
  opsdeck check --format nagios
  */1 * * * * opsdeck check --textfile /var/lib/prometheus/node-exporter/opsdeck.prom
  */5 * * * * opsdeck check --notify https://hooks.slack.com/services/…
  opsdeck check --notify-cmd 'mail -s opsdeck ops@example.com'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCheck(cmd.Context(), g, f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.json, "json", false, "print the report as JSON (--format json)")
	fl.StringVar(&f.format, "format", "table", "table, json, or nagios (a monitoring plugin's status line, findings and perfdata)")
	fl.StringVar(&f.textfile, "textfile", "", "also write the results to this file in node_exporter's textfile format (atomically)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "list every check, OK ones too")
	fl.StringVar(&f.notifyURL, "notify", "", "POST a Slack-compatible message to this URL when a finding changes state")
	fl.StringVar(&f.notifyKind, "notify-kind", "slack", "what --notify posts: slack ({\"text\": …} on change), alertmanager (the alerts, every run, to /api/v2/alerts) or ntfy (the text on change, to a topic URL)")
	fl.StringVar(&f.notifyCmd, "notify-cmd", "", "pipe the report to this command when a finding changes state")
	fl.BoolVar(&f.always, "notify-always", false, "notify on every run, not only on changes")
	fl.StringVar(&f.heartbeat, "heartbeat", "", "POST to this URL after each completed run (a dead man's switch such as Healthchecks): a check that dies or hangs pages too")
	fl.DurationVar(&f.timeout, "timeout", checkDeadline, "deadline for the whole pass; hosts with no answer by then are DOWN")
	fl.BoolVar(&f.updates, "updates", false, "also count pending updates (apt-get -s upgrade: seconds of CPU on each host)")
	return cmd
}

// validate refuses flags that do not go together, before anything runs.
func (f *checkFlags) validate() error {
	if f.json {
		if f.format != "table" && f.format != "json" {
			return fmt.Errorf("--json and --format %s ask for two formats", f.format)
		}
		f.format = "json"
	}
	switch {
	case !slices.Contains([]string{"table", "json", "nagios"}, f.format):
		return fmt.Errorf("--format %q: want table, json or nagios", f.format)
	case !slices.Contains(notify.Kinds, f.notifyKind):
		return fmt.Errorf("--notify-kind %q: want %s", f.notifyKind, strings.Join(notify.Kinds, ", "))
	case f.textfile != "" && !strings.HasSuffix(f.textfile, ".prom"):
		return fmt.Errorf("--textfile %s: node_exporter reads only files ending in .prom", f.textfile)
	}
	return nil
}

// checkRun is one run of opsdeck check: its fleet polled once, its
// record, and what it says on stderr.
type checkRun struct {
	f          *checkFlags
	rt         *deck
	errOut     io.Writer
	recordDown error // the shared record does not answer: no drills, no notification
	board      *oncall.Board
	now        time.Time
}

func runCheck(ctx context.Context, g *globals, f *checkFlags, out, errOut io.Writer) error {
	if err := f.validate(); err != nil {
		return withCode(checkUnknown, err)
	}
	_, cfg, err := configOf(g)
	if err != nil {
		return withCode(checkUnknown, err)
	}
	// Inventories are read on each run; one that fails (or a host named
	// twice) is said, and the run is UNKNOWN at best: some hosts may be
	// missing from it.
	for _, n := range cfg.Notes {
		fmt.Fprintln(errOut, "opsdeck check:", n)
	}
	rt, err := buildDeck(ctx, cfg, deckOptions{oneShot: true, skipUpdates: !f.updates, lateRecord: true,
		logger: slog.New(slog.NewTextHandler(errOut, nil)), quietLate: true})
	if rt == nil {
		return withCode(checkUnknown, err)
	}
	defer rt.Close()
	c := &checkRun{f: f, rt: rt, errOut: errOut}
	if err != nil {
		// A shared record that does not answer costs the drills' verdicts
		// (UNKNOWN) and the notification, not the fleet's check.
		c.recordDown = rt.st.Late()
		fmt.Fprintf(errOut, "opsdeck check: shared record %s: %v (drills unknown, no notification)\n", rt.st.Audit.Where(), c.recordDown)
	}
	c.pass(ctx)
	if c.recordDown == nil && ctx.Err() == nil { // this run's point of each mount's history
		if err := rt.st.SaveFill(rt.store); !errors.Is(err, fleet.ErrNoStateDir) {
			c.errf(err) // with no state directory there is no history to keep, as before
		}
	}
	all := c.judge(cfg)
	shown := all
	if !f.verbose {
		shown = all.Failing()
	}
	c.print(out, shown)
	code := all.Exit()
	if f.textfile != "" && ctx.Err() == nil {
		// Every check, OK ones too: an alert on a check resolves when it is 0.
		if err := report.WriteTextfile(f.textfile, all, all.Figures, c.now); err != nil {
			fmt.Fprintln(errOut, "opsdeck check: textfile:", err)
			code = report.AtLeastUnknown(code)
		}
	}
	if ctx.Err() != nil {
		// Interrupted: the report is partial, so no notification (it would
		// announce changes that did not happen).
		fmt.Fprintf(errOut, "opsdeck check: %v: the report above is partial; no notification sent\n", context.Cause(ctx))
		return withCode(exitCanceled, errSilent)
	}
	sent := c.notify(ctx, all)
	if beat := c.heartbeat(ctx); !sent || !beat { // the heartbeat goes out whether or not the notification did
		code = report.AtLeastUnknown(code)
	}
	if code != checkOK {
		return withCode(code, errSilent)
	}
	return nil
}

// errf says err on stderr, if any.
func (c *checkRun) errf(err error) {
	if err != nil {
		fmt.Fprintln(c.errOut, "opsdeck check:", err)
	}
}

// pass polls every host once, within --timeout.
func (c *checkRun) pass(ctx context.Context) {
	pass, cancel := context.WithTimeout(ctx, c.f.timeout)
	defer cancel()
	c.rt.conn.StartSources(pass)
	for _, s := range c.rt.conn.Sources() {
		if s.Err != "" {
			fmt.Fprintf(c.errOut, "opsdeck check: source %s: %s (the figures of its hosts are unknown)\n", s.Name, s.Err)
		}
	}
	c.rt.poller.Once(pass, fleet.Full)
}

// judge is the report of the pass, every check in it. Acknowledgements
// end by themselves on what this pass saw; the on-call log says what is
// not notified, and every format says it.
func (c *checkRun) judge(cfg *fleet.Config) report.Report {
	c.now = time.Now()
	all := report.Build(c.rt.store, true)
	all.Loaded(cfg)
	all.Figures = report.Points(c.rt.store, c.now) // once, for every format that carries them
	if c.recordDown != nil {
		return all
	}
	desk, err := c.rt.desk()
	if err == nil {
		_, err = desk.SettleStore(c.rt.store, func(s *fleet.HostStatus) time.Time { return report.AnsweredAt(s, c.now) }, c.now)
	}
	if err != nil {
		fmt.Fprintln(c.errOut, "opsdeck check:", err)
	}
	c.board = (*oncall.Board)(nil).WithWindows(cfg.OnCall.Windows) // the windows hold with no record too
	if desk != nil {
		c.board = desk.View()
	}
	c.board.Annotate(&all, cfg.Host, c.now)
	return all
}

// print writes the report in the format asked for.
func (c *checkRun) print(out io.Writer, rep report.Report) {
	switch c.f.format {
	case "json":
		report.WriteJSON(out, rep)
	case "nagios":
		report.WriteNagios(out, rep, rep.Figures)
	default:
		report.WriteText(out, rep)
	}
}

// notify sends what changed since the last run; false when that failed.
// What changed is in the record: with it down, every finding would be
// news, so nothing is sent (said at start).
func (c *checkRun) notify(ctx context.Context, all report.Report) bool {
	f := c.f
	if f.notifyURL == "" && f.notifyCmd == "" {
		return true
	}
	if c.recordDown != nil {
		return false
	}
	rec, err := c.rt.st.Notify()
	if err != nil {
		fmt.Fprintln(c.errOut, "opsdeck check: notification failed:", err)
		return false
	}
	cfg := c.rt.conn.Config()
	quiet := oncall.Chain(c.board.Quiet(cfg.Host, c.now), oncall.RestartsQuiet(c.rt.st.Audit, c.now))
	// Notifications get their own deadline, after the pass: a slow pass
	// never costs the notification.
	nctx, cancel := context.WithTimeout(ctx, notify.Timeout)
	defer cancel()
	held, err := notify.Send(nctx, rec, all, notify.Options{URL: f.notifyURL, Kind: f.notifyKind, Cmd: f.notifyCmd,
		Always: f.always, Remind: notify.RemindOf(cfg), Quiet: quiet}, c.now)
	if err != nil {
		fmt.Fprintln(c.errOut, "opsdeck check: notification failed:", err)
	}
	if held > 0 {
		fmt.Fprintf(c.errOut, "opsdeck check: %d change(s) not sent: acknowledged, silenced or behind a DOWN host\n", held)
	}
	return err == nil
}

// heartbeat pings the dead man's switch; false when that failed.
func (c *checkRun) heartbeat(ctx context.Context) bool {
	if c.f.heartbeat == "" {
		return true
	}
	if err := notify.Ping(ctx, c.f.heartbeat); err != nil {
		fmt.Fprintln(c.errOut, "opsdeck check: heartbeat:", err)
		return false
	}
	return true
}
