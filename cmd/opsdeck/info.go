package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/opsdeck/opsdeck/actions/record"
	"github.com/opsdeck/opsdeck/actions/record/files"

	"github.com/opsdeck/opsdeck/fleet/config"

	"github.com/opsdeck/opsdeck/actions/record/pg"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/sshx"
	"github.com/opsdeck/opsdeck/themes"
	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func newInfoCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "info",
		Short: "Say which files opsdeck uses: config, state, log, known_hosts, theme",
		Long: `Say where opsdeck finds its configuration and keeps its state: the config
file in use (and how it was found), the state directory with the audit
log, drill and event history, ui.json and the log file, the known_hosts
files and their policy, the theme and the version.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runInfo(cmd.OutOrStdout(), g) },
	}
}

func runInfo(w io.Writer, g *globals) error {
	loc, err := fleet.Locate(g.config)
	if err != nil {
		return withCode(exitConfig, err)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("version", buildVersion())
	how := loc.Describe() + found(loc.Path)
	if loc.From != "" && loc.Path != "" {
		how += " (from " + loc.From + ")"
	}
	row("config", how)
	cfg, err := config.LoadLocated(loc)
	shared := false // the record is in a database, not the files below
	if err != nil {
		row("config problems", "yes: run 'opsdeck config check' for file:line and what")
	} else {
		row("hosts", fmt.Sprint(len(cfg.Hosts)))
		policy := cfg.Defaults.KnownHostsPolicy
		if policy == "" {
			policy = sshx.PolicyStrict
		}
		var khs []string
		for _, f := range sshx.KnownHostsFiles(cfg) {
			khs = append(khs, f+found(f))
		}
		row("known_hosts", strings.Join(khs, ", ")+" (policy "+policy+")")
		if u, err := record.URL(cfg); err == nil && u != "" {
			shared = true
			row("shared record", pg.Redact(u)+" (audit, drills, events, check state; not opened here)")
		}
		for _, s := range cfg.Sources {
			row("resources from", s.Kind+" "+s.URL+" "+s.Hosts)
		}
	}
	state := fleet.StateDir()
	if state == "" {
		row("state directory", "none: no HOME and not root; actions are refused, nothing is kept")
	} else {
		row("state directory", state+found(state))
		kept := []struct{ what, path string }{
			{"audit log", files.DefaultAuditPath()}, {"drill history", files.DefaultDrillPath()},
			{"event history", record.EventPath()}, {"ui preferences", filepath.Join(state, "ui.json")},
			{"log file", filepath.Join(state, "opsdeck.log")},
		}
		if shared {
			kept = kept[3:]
		}
		for _, f := range kept {
			row(f.what, f.path+found(f.path))
		}
	}
	theme := g.theme
	if theme == "" {
		theme = themes.Default
	}
	if os.Getenv("NO_COLOR") != "" {
		theme += " (NO_COLOR is set: no colour)"
	}
	row("theme", theme)
	return tw.Flush()
}

// found says when a path does not exist (yet).
func found(path string) string {
	if path == "" {
		return ""
	}
	if _, err := os.Stat(path); err != nil {
		return " (not there yet)"
	}
	return ""
}

func newManCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "man DIR",
		Short:   "Write the man pages (opsdeck.1, opsdeck-check.1, …) into DIR",
		Example: `  opsdeck man ~/.local/share/man/man1 && man opsdeck`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return withCode(exitRuntime, err)
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true // pages that do not change from run to run
			return doc.GenManTree(root, &doc.GenManHeader{Title: "OPSDECK", Section: "1", Source: "opsdeck " + buildVersion()}, args[0])
		},
	}
}
