package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/opsdeck/opsdeck/fleet"
)

// WriteNagios prints the report as a monitoring plugin does: one status
// line with the fleet's counts as perfdata, then a line per finding (the
// long text), then every host's figures as more perfdata, one per line.
// The status word is the report's exit status's.
func WriteNagios(out io.Writer, rep Report, points []Point) {
	counts := rep.Counts()
	summary := fmt.Sprintf("%d host(s)", len(rep.Hosts))
	if c := countsText(counts, ", "); c != "" {
		summary += ", " + c
	}
	var problems []string
	for _, h := range rep.Hosts {
		if h.State != fleet.OK && h.State != fleet.Unreachable { // the counts say those; their parent is named
			problems = append(problems, h.Name)
		}
	}
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], "…")
		}
		summary += ": " + strings.Join(problems, " ")
	}
	if len(rep.Notes) > 0 {
		summary += "; " + rep.Notes[0]
		if len(rep.Notes) > 1 {
			summary += fmt.Sprintf(" (and %d more)", len(rep.Notes)-1)
		}
	}
	total := float64(len(rep.Hosts))
	var perf []string
	for _, s := range []fleet.State{fleet.OK, fleet.Warn, fleet.Crit, fleet.Down, fleet.Unreachable, fleet.Unknown} {
		perf = append(perf, perfItem("hosts "+strings.ToLower(s.String()), float64(counts[s]), "", none, none, 0, total))
	}
	fmt.Fprintf(out, "OPSDECK %s - %s | %s\n", StatusWord(rep.Exit()), noPipe(summary), strings.Join(perf, " "))
	for _, h := range rep.Hosts {
		for _, f := range h.Findings {
			fmt.Fprintln(out, noPipe(findingLine(h.Name, f)))
		}
	}
	n := 0
	for _, p := range points {
		if p.NoPerf {
			continue
		}
		sep := "\n"
		if n == 0 {
			sep = ""
			fmt.Fprint(out, "| ")
		}
		n++
		fmt.Fprint(out, sep+perfItem(p.Host+" "+p.Name, p.Value, p.Unit, p.Warn, p.Crit, p.Min, p.Max))
	}
	if n > 0 {
		fmt.Fprintln(out)
	}
}

// findingLine is a finding as the plugin's long text says it.
func findingLine(host string, f Finding) string {
	line := fmt.Sprintf("%s %s %s: %s", host, f.State, f.Check, f.Reason)
	if f.Acknowledged != "" {
		line += " [acknowledged by " + f.Acknowledged + "]"
	}
	if f.Silenced != "" {
		line += " [silenced: " + f.Silenced + "]"
	}
	return line
}

// perfItem is 'label'=value[UOM];[warn];[crit];[min];[max], a NaN left
// empty and trailing empty fields dropped.
func perfItem(label string, v float64, unit string, warn, crit, lo, hi float64) string {
	num := func(f float64) string {
		if math.IsNaN(f) {
			return ""
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	fields := []string{num(warn), num(crit), num(lo), num(hi)}
	for len(fields) > 0 && fields[len(fields)-1] == "" {
		fields = fields[:len(fields)-1]
	}
	item := "'" + strings.ReplaceAll(label, "'", "''") + "'=" + strconv.FormatFloat(round(v), 'f', -1, 64) + unit
	if len(fields) > 0 {
		item += ";" + strings.Join(fields, ";")
	}
	return item
}

func round(v float64) float64 { return math.Round(v*100) / 100 }

// noPipe keeps host text from ending the plugin's text output early.
func noPipe(s string) string { return strings.ReplaceAll(s, "|", "/") }
