package report

import (
	"strings"

	"github.com/opsdeck/opsdeck/fleet"
)

// The monitoring-plugin exit codes of opsdeck check, and the value of a
// state in every output that puts states on one scale (the textfile,
// serve-metrics, Alertmanager's severity, ntfy's priority).
const (
	ExitOK      = 0
	ExitWarn    = 1
	ExitCrit    = 2
	ExitUnknown = 3
)

// scale is the one table of the exit-code scale: each state's code. A
// state no row names (none today) is UNKNOWN.
var scale = []struct {
	code   int
	word   string // the plugin guidelines' word for the code
	states []fleet.State
}{
	{ExitOK, "OK", []fleet.State{fleet.OK}},
	{ExitWarn, "WARNING", []fleet.State{fleet.Warn}},
	{ExitCrit, "CRITICAL", []fleet.State{fleet.Crit, fleet.Down, fleet.Slow, fleet.HostKey}},
	// STALE: the data is old, so nothing is known of the host now.
	// UNREACHABLE: nothing is known of it behind its DOWN parent, which is
	// CRITICAL itself.
	{ExitUnknown, "UNKNOWN", []fleet.State{fleet.Unknown, fleet.Stale, fleet.Unreachable}},
}

// Exit is the code of a state on the exit-code scale.
func Exit(s fleet.State) int {
	for _, row := range scale {
		for _, st := range row.states {
			if st == s {
				return row.code
			}
		}
	}
	return ExitUnknown
}

// StatusWord is the plugin guidelines' word for an exit code ("CRITICAL").
func StatusWord(code int) string {
	for _, row := range scale {
		if row.code == code {
			return row.word
		}
	}
	return "UNKNOWN"
}

// ScaleText says the scale in words, for help texts and the docs:
// "0 OK, 1 WARN, 2 CRIT, DOWN, SLOW or HOSTKEY, 3 UNKNOWN or STALE".
func ScaleText() string {
	parts := make([]string, 0, len(scale))
	for _, row := range scale {
		names := make([]string, len(row.states))
		for i, s := range row.states {
			names[i] = s.String()
		}
		words := names[0]
		if n := len(names); n > 1 {
			words = strings.Join(names[:n-1], ", ") + " or " + names[n-1]
		}
		parts = append(parts, string(rune('0'+row.code))+" "+words)
	}
	return strings.Join(parts, ", ")
}

// Severity is the word Alertmanager routes usually give a code ("" for OK).
func Severity(code int) string {
	return map[int]string{ExitWarn: "warning", ExitCrit: "critical", ExitUnknown: "unknown"}[code]
}

// AtLeastUnknown is code raised to UNKNOWN (a notification or a textfile
// that failed, some hosts missing), unless it is CRITICAL already: the
// plugin convention ranks CRITICAL first.
func AtLeastUnknown(code int) int {
	if code < ExitCrit {
		return ExitUnknown
	}
	return code
}
