package notify

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet/report"
)

// alert is one alert of Alertmanager's v2 API (POST /api/v2/alerts).
type alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
}

// alertsFor are the findings that are not OK, firing until a few runs from
// now (so they expire if opsdeck check stops running), and those the last
// run saw not OK that are OK now (cur), resolved now. last is when the last
// run was (zero: none). Labels are the check's key and kind, never its
// words: an alert is the same alert whatever a check is called.
func alertsFor(rep report.Report, prev, cur State, now, last time.Time) []alert {
	// Firing alerts last three runs' time, from 5 minutes to a day.
	ttl := 5 * time.Minute
	if !last.IsZero() {
		ttl = min(max(3*now.Sub(last), ttl), 24*time.Hour)
	}
	var out []alert
	firing := map[string]bool{}
	for _, h := range rep.Hosts {
		for _, f := range h.Findings {
			code := report.Exit(f.State)
			if code == report.ExitOK {
				continue
			}
			firing[recordKey(h.Name, f.Key)] = true
			out = append(out, alert{
				Labels: map[string]string{"alertname": "opsdeck", "host": h.Name, "check": f.Key, "kind": f.Kind.String(),
					"severity": report.Severity(code), "state": f.State.String()},
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
		code := report.Exit(state)
		if code == report.ExitOK || firing[k] {
			continue
		}
		if now, ok := cur[k]; ok && report.Exit(now) != report.ExitOK {
			continue // still not OK (a host's summary line, not a finding)
		}
		host, check := splitKey(k)
		kind, _, _ := strings.Cut(check, ":")
		out = append(out, alert{
			Labels: map[string]string{"alertname": "opsdeck", "host": host, "check": check, "kind": kind,
				"severity": report.Severity(code), "state": state.String()},
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
