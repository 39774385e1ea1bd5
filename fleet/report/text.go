package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/opsdeck/opsdeck/fleet"
)

// WriteText prints the findings a line each, then the fleet's counts.
func WriteText(out io.Writer, rep Report) {
	lines := 0
	for _, h := range rep.Hosts {
		for _, f := range h.Findings {
			fmt.Fprintf(out, "%-20s %-11s %-22s %s\n", h.Name, f.State, f.Check, f.Reason) // UNREACHABLE is 11
			lines++
		}
	}
	if lines == 0 {
		fmt.Fprintln(out, "no findings")
	}
	fmt.Fprintf(out, "%d host(s): %s · worst %s\n", len(rep.Hosts), countsText(rep.Counts(), ", "), rep.Worst)
}

// countsText is "3 OK, 1 CRIT": the states with hosts, mildest first.
func countsText(counts map[fleet.State]int, sep string) string {
	var parts []string
	for _, s := range fleet.AllStates {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	return strings.Join(parts, sep)
}

// WriteJSON prints the report as indented JSON.
func WriteJSON(out io.Writer, rep Report) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
