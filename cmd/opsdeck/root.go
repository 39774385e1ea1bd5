package main

import (
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// globals are the flags every command accepts, before or after its name.
type globals struct {
	config   string
	theme    string
	readOnly bool
	// confirm names the production hosts a headless action may act on
	// without asking (--confirm HOST): --yes alone is not enough for prod.
	confirm []string
}

// confirmFlag adds --confirm HOST to an action command.
func confirmFlag(cmd *cobra.Command, g *globals) {
	cmd.Flags().StringSliceVar(&g.confirm, "confirm", nil, "with --yes, the production host(s) it may act on (env = \"prod\" needs its name, as the dashboard asks)")
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "opsdeck",
		Short: "Terminal dashboard for on-call operators",
		Long: `opsdeck watches a fleet of servers — resources, services, backups — and shows
each host as OK, WARN, CRIT, DOWN, STALE or UNKNOWN with the reason.

With no configuration file it watches this machine. The configuration is
found via --config, then $OPSDECK_CONFIG, then
$XDG_CONFIG_HOME/opsdeck/config.toml (~/.config/opsdeck/config.toml).`,
		Example: `  opsdeck                                  # dashboard of this machine (no config needed)
  opsdeck --config fleet.toml              # dashboard of a fleet
  opsdeck --read-only --theme high-contrast   # wall screen
  opsdeck config check --config fleet.toml # validate a config file`,
		Version:       buildVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDashboard(cmd.Context(), g)
		},
	}
	pf := root.PersistentFlags()
	pf.StringVarP(&g.config, "config", "c", "", "configuration file (default $OPSDECK_CONFIG or ~/.config/opsdeck/config.toml)")
	pf.StringVar(&g.theme, "theme", "", "colour theme: dark, light, high-contrast, colorblind (NO_COLOR is honoured)")
	pf.BoolVar(&g.readOnly, "read-only", false, "refuse every action (for wall screens)")
	root.AddCommand(newConfigCmd(g), newCheckCmd(g), newRestartCmd(g), newRunCmd(g), newSnapshotCmd(g), newDrillCmd(g), newDrillsCmd(g), newHistoryCmd(g), newAuditCmd(g), newAckCmd(g), newSilenceCmd(g), newHandoverCmd(g), newStateCmd(g), newServeMetricsCmd(g), newInfoCmd(g), newManCmd())
	root.SetVersionTemplate("opsdeck {{.Version}}\n")
	return root
}
