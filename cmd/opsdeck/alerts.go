package main

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// alert is one alert of Alertmanager's v2 API (POST /api/v2/alerts).
type alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
}

// severities name the exit-code scale as Alertmanager routes usually do.
var severities = map[int]string{checkWarn: "warning", checkCrit: "critical", checkUnknown: "unknown"}

// alertsFor are the findings that are not OK, firing until a few runs from
// now (so they expire if opsdeck check stops running), and those the last
// run saw not OK that are OK now (cur), resolved now. last is when the last
// run was (zero: none).
func alertsFor(rep Report, prev, cur checkState, now, last time.Time) []alert {
	// Firing alerts last three runs' time, from 5 minutes to a day.
	ttl := 5 * time.Minute
	if !last.IsZero() {
		ttl = min(max(3*now.Sub(last), ttl), 24*time.Hour)
	}
	var out []alert
	firing := map[string]bool{}
	if cur == nil {
		cur = checkState{}
	}
	for _, h := range rep.Hosts {
		for _, f := range h.Findings {
			code := exitFor(f.State)
			if code == checkOK {
				continue
			}
			firing[h.Name+"/"+f.Check] = true
			out = append(out, alert{
				Labels: map[string]string{"alertname": "opsdeck", "host": h.Name, "check": f.Check,
					"severity": severities[code], "state": f.State.String()},
				Annotations: map[string]string{"summary": h.Name + " " + f.State.String() + " " + f.Check + ": " + f.Reason},
				StartsAt:    now, EndsAt: now.Add(ttl),
			})
		}
	}
	keys := make([]string, 0, len(prev))
	for k := range prev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		state := prev[k]
		code := exitFor(recordedState(state))
		if code == checkOK || firing[k] {
			continue
		}
		if now, ok := cur[k]; ok && exitFor(recordedState(now)) != checkOK {
			continue // still not OK (a host's summary line, not a finding)
		}
		host, check, _ := strings.Cut(k, "/")
		out = append(out, alert{
			Labels:   map[string]string{"alertname": "opsdeck", "host": host, "check": check, "severity": severities[code], "state": state},
			StartsAt: now.Add(-time.Second), EndsAt: now,
		})
	}
	return out
}

// postAlerts sends alerts to an Alertmanager at base (its /api/v2/alerts
// is added unless given).
func postAlerts(ctx context.Context, base string, alerts []alert) error {
	if len(alerts) == 0 {
		return nil
	}
	u := base
	if !strings.HasSuffix(u, "/api/v2/alerts") {
		u = strings.TrimSuffix(u, "/") + "/api/v2/alerts"
	}
	body, _ := json.Marshal(alerts)
	return post(ctx, "alertmanager", u, body, map[string]string{"Content-Type": "application/json"})
}

// postNtfy publishes text to an ntfy topic URL, with a title and a
// priority by the worst state.
func postNtfy(ctx context.Context, topic string, worst fleet.State, text string) error {
	prio := map[int]string{checkOK: "default", checkWarn: "high", checkCrit: "urgent", checkUnknown: "high"}[exitFor(worst)]
	return post(ctx, "ntfy", topic, []byte(text), map[string]string{
		"Content-Type": "text/plain; charset=utf-8", "Title": "opsdeck: worst " + worst.String(), "Priority": prio, "Tags": "opsdeck",
	})
}

// recordedState reads a state kept as text in the check record; a name
// it does not know (a newer version's) is UNKNOWN.
func recordedState(name string) fleet.State {
	s, _ := fleet.ParseState(name)
	return s
}
