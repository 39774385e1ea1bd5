package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/spf13/cobra"
)

// Monitoring-plugin exit codes of opsdeck check.
const (
	checkOK       = 0
	checkWarn     = 1
	checkCrit     = 2
	checkUnknown  = 3
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
0 OK, 1 WARN, 2 CRIT or DOWN, 3 UNKNOWN (or a usage or config error).
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

// Finding is one check of one host in the report.
type Finding struct {
	Check string `json:"check"`
	// Key names the check for code and matchers: "disk:/var",
	// "service:nginx", "backup:pg-nightly", "security:sshd", "host".
	Key    string      `json:"key"`
	State  fleet.State `json:"state"`
	Reason string      `json:"reason"`
	// Acknowledged and Silenced say who is on it or which silence covers
	// it: the state stays what it is.
	Acknowledged string `json:"acknowledged,omitempty"`
	Silenced     string `json:"silenced,omitempty"`
}

// HostReport is one host in the report.
type HostReport struct {
	Name     string      `json:"name"`
	State    fleet.State `json:"state"`
	Reason   string      `json:"reason,omitempty"`
	Findings []Finding   `json:"findings"`
}

// Report is what opsdeck check prints with --json.
type Report struct {
	Time  time.Time    `json:"time"`
	Worst fleet.State  `json:"worst"`
	Hosts []HostReport `json:"hosts"`
}

func exitFor(s fleet.State) int {
	switch s {
	case fleet.OK:
		return checkOK
	case fleet.Warn:
		return checkWarn
	case fleet.Crit, fleet.Down, fleet.Slow, fleet.HostKey:
		return checkCrit
	}
	return checkUnknown
}

func runCheck(ctx context.Context, g *globals, f *checkFlags, out, errOut io.Writer) error {
	if f.json {
		if f.format != "table" && f.format != "json" {
			return withCode(checkUnknown, fmt.Errorf("--json and --format %s ask for two formats", f.format))
		}
		f.format = "json"
	}
	switch f.format {
	case "table", "json", "nagios":
	default:
		return withCode(checkUnknown, fmt.Errorf("--format %q: want table, json or nagios", f.format))
	}
	switch f.notifyKind {
	case "slack", "alertmanager", "ntfy":
	default:
		return withCode(checkUnknown, fmt.Errorf("--notify-kind %q: want slack, alertmanager or ntfy", f.notifyKind))
	}
	if f.textfile != "" && !strings.HasSuffix(f.textfile, ".prom") {
		return withCode(checkUnknown, fmt.Errorf("--textfile %s: node_exporter reads only files ending in .prom", f.textfile))
	}
	_, cfg, _, err := configOf(g)
	if err != nil {
		return withCode(checkUnknown, err)
	}
	// Inventories are read on each run; one that fails (or a host named
	// twice) is said, and the run is UNKNOWN at best: some hosts may be
	// missing from it.
	for _, n := range cfg.Notes {
		fmt.Fprintln(errOut, "opsdeck check:", n)
	}
	conn, err := connect(cfg)
	if err != nil {
		return withCode(checkUnknown, err)
	}
	conn.oneShot, conn.updates = true, f.updates
	defer conn.Close()
	// A shared record that does not answer costs the drills' verdicts
	// (UNKNOWN) and the notification, not the fleet's check.
	st, err := openStateLate(ctx, cfg)
	if st == nil {
		return withCode(checkUnknown, err)
	}
	defer st.Close()
	logger := slog.New(slog.NewTextHandler(errOut, nil))
	var recordDown error
	if err != nil {
		_, recordDown = st.late.get()
		fmt.Fprintf(errOut, "opsdeck check: shared record %s: %v (drills unknown, no notification)\n", st.audit.Where(), recordDown)
		logger = slog.New(slog.DiscardHandler) // said once, above
	}
	store := fleet.NewStore(cfg.Hosts)
	loadDrills(store, st.drills, logger)
	poller := fleet.NewPoller(cfg, store, conn.source)
	defer poller.Close()
	pass, cancel := context.WithTimeout(ctx, f.timeout)
	conn.startSources(pass)
	for _, s := range conn.sources() {
		if s.Err != "" {
			fmt.Fprintf(errOut, "opsdeck check: source %s: %s (the figures of its hosts are unknown)\n", s.Name, s.Err)
		}
	}
	poller.Once(pass, fleet.Full)
	cancel()

	rep := buildReport(store, f.verbose)
	worst := fleet.OK
	for _, h := range rep.Hosts {
		worst = fleet.Worse(worst, h.State)
	}
	rep.Worst = worst
	now := time.Now()
	// Acknowledgements end by themselves on what this pass saw; the
	// on-call log says what is not notified, and every format says it.
	var q quiet
	var oc *oncall.Board
	if recordDown == nil {
		var err error
		oc, err = settleOnCall(st, cfg, store, now)
		if err != nil {
			fmt.Fprintln(errOut, "opsdeck check:", err)
		}
		q = chainQuiet(onCallQuiet(cfg, oc, now), restartsQuiet(st.audit, now))
		annotate(&rep, configHost(cfg), oc, now)
	}
	var points []point // the figures, for the formats that carry them
	if f.format == "nagios" || f.textfile != "" {
		points = fleetPoints(store, now)
	}
	switch f.format {
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	case "nagios":
		writeNagios(out, rep, points)
	default:
		printReport(out, rep)
	}
	textfileFailed := false
	if f.textfile != "" && ctx.Err() == nil {
		// Every check, OK ones too: an alert on a check resolves when it is 0.
		all := buildReport(store, true)
		annotate(&all, configHost(cfg), oc, now)
		if err := writeTextfile(f.textfile, all, points, now); err != nil {
			fmt.Fprintln(errOut, "opsdeck check: textfile:", err)
			textfileFailed = true
		}
	}
	if ctx.Err() != nil {
		// Interrupted: the report is partial, so no notification (it would
		// announce changes that did not happen).
		fmt.Fprintf(errOut, "opsdeck check: %v: the report above is partial; no notification sent\n", context.Cause(ctx))
		return withCode(exitCanceled, errSilent)
	}
	code := exitFor(worst)
	if (textfileFailed || len(cfg.Notes) > 0) && code < checkCrit {
		code = checkUnknown
	}
	if f.notifyURL != "" || f.notifyCmd != "" {
		// What changed since the last run is in the record: with it down,
		// every finding would be news, so nothing is sent (said above).
		err := recordDown
		if err == nil {
			// Notifications get their own deadline, after the pass: a slow
			// pass never costs the notification.
			nctx, cancel := context.WithTimeout(ctx, notifyTimeout)
			defer cancel()
			var held int
			held, err = notify(nctx, st, rep, f, q, renotifyOf(cfg), now)
			if err != nil {
				fmt.Fprintln(errOut, "opsdeck check: notification failed:", err)
			}
			if held > 0 {
				fmt.Fprintf(errOut, "opsdeck check: %d change(s) not sent: acknowledged or silenced\n", held)
			}
		}
		if err != nil && code < checkCrit {
			code = checkUnknown
		}
	}
	if f.heartbeat != "" {
		if err := ping(ctx, f.heartbeat); err != nil {
			fmt.Fprintln(errOut, "opsdeck check: heartbeat:", err)
			if code < checkCrit {
				code = checkUnknown
			}
		}
	}
	if code != checkOK {
		return withCode(code, errSilent)
	}
	return nil
}

func buildReport(store *fleet.Store, verbose bool) Report {
	// Judged as of the host's own answer in this pass: a long pass never
	// makes its early answers look stale.
	return judgedReport(store, verbose, func(st *fleet.HostStatus) time.Time { return answeredAt(st, time.Now()) })
}

// judgedReport is the report with each host judged as of at(host).
func judgedReport(store *fleet.Store, verbose bool, at func(*fleet.HostStatus) time.Time) Report {
	snap, _ := store.Snapshot()
	rep := Report{Time: time.Now().UTC()}
	for i := range snap {
		hl := fleet.Assess(&snap[i], at(&snap[i]))
		hr := HostReport{Name: snap[i].Host.Name, State: hl.State, Findings: []Finding{}}
		if hl.State != fleet.OK {
			hr.Reason = hl.Reason
		}
		for _, c := range hl.Checks {
			if c.State != fleet.OK || verbose {
				hr.Findings = append(hr.Findings, Finding{Check: c.Name, Key: c.Key(), State: c.State, Reason: c.Reason})
			}
		}
		if len(hl.Checks) == 0 && hl.State != fleet.OK {
			hr.Findings = append(hr.Findings, Finding{Check: fleet.HostCheck, Key: fleet.CheckKey(fleet.KindHost, ""), State: hl.State, Reason: hl.Reason})
		}
		rep.Hosts = append(rep.Hosts, hr)
	}
	return rep
}

// answeredAt is when the host's observation of this pass was made (now
// when it has none).
func answeredAt(st *fleet.HostStatus, now time.Time) time.Time {
	switch {
	case st.Err != "":
		return st.ErrAt
	case st.Last != nil:
		return st.Last.At
	}
	return now
}

func printReport(out io.Writer, rep Report) {
	counts := map[fleet.State]int{}
	lines := 0
	for _, h := range rep.Hosts {
		counts[h.State]++
		for _, f := range h.Findings {
			fmt.Fprintf(out, "%-20s %-7s %-22s %s\n", h.Name, f.State, f.Check, f.Reason)
			lines++
		}
	}
	var parts []string
	for _, s := range fleet.AllStates {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if lines == 0 {
		fmt.Fprintln(out, "no findings")
	}
	fmt.Fprintf(out, "%d host(s): %s · worst %s\n", len(rep.Hosts), strings.Join(parts, ", "), rep.Worst)
}
