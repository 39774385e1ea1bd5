package oncall

// The handover: one report for the next person on call.

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/report"
)

// Handover is the report for the next person on call: what happened, in
// time order, and what still fails now.
type Handover struct {
	Fleet    string         `json:"fleet,omitempty"`
	From     time.Time      `json:"from"`
	To       time.Time      `json:"to"`
	Timeline []HandoverItem `json:"timeline"`
	Open     []OpenProblem  `json:"open"`
}

// HandoverItem is one thing that happened: a state change, an action and
// its outcome, a drill, an acknowledgement or a silence.
type HandoverItem struct {
	Time time.Time `json:"time"`
	Kind string    `json:"kind"` // change, restart, snapshot, drill, run, shell, ack, silence…
	Host string    `json:"host,omitempty"`
	Text string    `json:"text"`
	By   string    `json:"by,omitempty"`
}

// OpenProblem is a check that fails now, with who is on it, since when,
// and what to do.
type OpenProblem struct {
	Host         string      `json:"host"`
	Check        string      `json:"check"`
	Key          string      `json:"key"`
	State        fleet.State `json:"state"`
	Since        time.Time   `json:"since,omitzero"` // zero: before the record
	Reason       string      `json:"reason"`
	Acknowledged string      `json:"acknowledged,omitempty"`
	Silenced     string      `json:"silenced,omitempty"`
	Remedy       string      `json:"remedy,omitempty"`
}

// NewHandover is the handover of from…to: the record's state changes
// (events) and audit entries of the span in time order, and what fails
// now in store with who is on it (board), since when, and what to do.
func NewHandover(name string, from, to time.Time, events []fleet.Event, audit []actions.Entry, store *fleet.Store, board *Board) *Handover {
	h := &Handover{Fleet: name, From: from, To: to}
	for _, e := range events {
		if !e.Time.Before(from) {
			h.Timeline = append(h.Timeline, changeItem(e))
		}
	}
	for _, e := range audit {
		if !e.Time.Before(from) {
			h.Timeline = append(h.Timeline, AuditItem(e))
		}
	}
	sort.SliceStable(h.Timeline, func(a, b int) bool { return h.Timeline[a].Time.Before(h.Timeline[b].Time) })
	h.Open = openProblems(store, board, events, to)
	return h
}

// changeItem is a state change as the handover says it.
func changeItem(e fleet.Event) HandoverItem {
	was := e.From
	if was == "" {
		was = "(first seen)"
	}
	text := fmt.Sprintf("%s %s → %s", e.Check, was, e.To)
	if e.Reason != "" && e.To != "OK" {
		text += ": " + fleet.Sanitize(e.Reason, 200)
	}
	return HandoverItem{Time: e.Time, Kind: "change", Host: e.Host, Text: text}
}

// AuditItem is an audit record as the handover says it.
func AuditItem(e actions.Entry) HandoverItem {
	text := string(e.Kind) + " " + e.Target
	switch e.Kind {
	case KindAck:
		text = "acknowledgement of " + e.Target + " " + e.Outcome
	case KindSilence:
		text = "silence " + e.Outcome
	}
	if e.Kind != KindAck && e.Kind != KindSilence {
		text += ": " + e.Outcome
		if e.DurationMS > 0 {
			text += " in " + (time.Duration(e.DurationMS) * time.Millisecond).Round(time.Millisecond).String()
		}
	}
	if e.Reason != "" {
		text += " — " + fleet.Sanitize(e.Reason, 300)
	}
	return HandoverItem{Time: e.Time, Kind: string(e.Kind), Host: e.Host, Text: text, By: fleet.Sanitize(e.Operator, 60)}
}

// openProblems are the checks of store that fail at now, each with its
// acknowledgement, its start by the record and its remedy.
func openProblems(store *fleet.Store, board *Board, events []fleet.Event, now time.Time) []OpenProblem {
	began := map[string]time.Time{} // host + key → when its current state began, by the record
	for _, e := range events {
		key := e.Key
		if key == "" && e.Check == fleet.HostCheck {
			key = fleet.CheckKey(fleet.KindHost, "")
		}
		began[e.Host+"\x00"+key+"\x00"+e.To] = e.Time
	}
	snap, _ := store.Snapshot()
	var out []OpenProblem
	for i := range snap {
		s := &snap[i]
		hl := fleet.Assess(s, report.AnsweredAt(s, now))
		for _, c := range hl.Findings() {
			if c.State == fleet.OK || c.NotApplicable || c.Pending {
				continue
			}
			p := OpenProblem{Host: s.Host.Name, Check: c.Name, Key: c.Key(), State: c.State, Reason: fleet.Sanitize(c.Reason, 300),
				Since: began[s.Host.Name+"\x00"+c.Key()+"\x00"+c.State.String()], Remedy: actions.RemedyFor(s, c, false).Say(actions.SayVerb)}
			if a, ok := board.Ack(s.Host.Name, c.Key()); ok {
				p.Acknowledged = fmt.Sprintf("%s %s ago: %s", actions.UserOf(a.By), fleet.FormatAge(now.Sub(a.At)), a.Note)
			}
			if sl, ok := board.Silenced(s.Host, c.Key(), now); ok {
				p.Silenced = fmt.Sprintf("until %s by %s: %s", sl.Until.Local().Format("Jan 2 15:04"), actions.UserOf(sl.By), sl.Note)
			}
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].State > out[b].State })
	return out
}

// Write writes the handover as text, markdown or json.
func (h *Handover) Write(w io.Writer, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(h)
	}
	md := format == "markdown"
	span := fmt.Sprintf("%s → %s", h.From.Local().Format("Jan 2 15:04"), h.To.Local().Format("Jan 2 15:04"))
	title := "Handover"
	if h.Fleet != "" {
		title += " — " + fleet.Sanitize(h.Fleet, 60)
	}
	if md {
		fmt.Fprintf(w, "# %s, %s\n\n## Still failing now (%d)\n\n", title, span, len(h.Open))
	} else {
		fmt.Fprintf(w, "%s, %s\n\nStill failing now (%d):\n", title, span, len(h.Open))
	}
	if len(h.Open) == 0 {
		fmt.Fprintln(w, "nothing fails")
	}
	for _, p := range h.Open {
		since := "since before the record"
		if !p.Since.IsZero() {
			since = fmt.Sprintf("since %s (%s)", p.Since.Local().Format("Jan 2 15:04"), fleet.FormatAge(h.To.Sub(p.Since)))
		}
		head := fmt.Sprintf("%s %s %s %s — %s", p.State, p.Host, p.Check, since, p.Reason)
		if md {
			head = fmt.Sprintf("- **%s %s %s** %s — %s", p.State, p.Host, p.Check, since, mdText(p.Reason))
		}
		fmt.Fprintln(w, head)
		for _, sub := range []struct{ label, text string }{{"acknowledged by ", p.Acknowledged}, {"silenced ", p.Silenced}, {"→ ", p.Remedy}} {
			if sub.text == "" {
				continue
			}
			if md {
				fmt.Fprintf(w, "  - %s%s\n", sub.label, mdText(sub.text))
			} else {
				fmt.Fprintf(w, "    %s%s\n", sub.label, sub.text)
			}
		}
	}
	if md {
		fmt.Fprintf(w, "\n## What happened, in time order (%d)\n\n| time | host | what | by |\n|---|---|---|---|\n", len(h.Timeline))
	} else {
		fmt.Fprintf(w, "\nWhat happened, in time order (%d):\n", len(h.Timeline))
	}
	for _, it := range h.Timeline {
		at := it.Time.Local().Format("Jan 2 15:04:05")
		if md {
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", at, mdText(it.Host), mdText(it.Text), mdText(actions.UserOf(it.By)))
		} else {
			fmt.Fprintf(w, "%s  %-12s %s", at, it.Host, it.Text)
			if it.By != "" {
				fmt.Fprintf(w, " (%s)", actions.UserOf(it.By))
			}
			fmt.Fprintln(w)
		}
	}
	return nil
}

// mdText keeps host text from breaking a Markdown table or list.
func mdText(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "`", "'").Replace(s)
}
