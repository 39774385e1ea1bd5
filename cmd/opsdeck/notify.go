package main

// The notifications of opsdeck check: what changed since the last run,
// and the kinds --notify posts (Slack, Alertmanager, ntfy) or --notify-cmd
// pipes.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// notifyTimeout bounds the notifications after a pass.
const notifyTimeout = 30 * time.Second

// checkState is what the last run saw: "host/check" → state.
type checkState map[string]string

// notify sends the findings that changed state since the last run (every
// finding with --notify-always). The state is saved only once every
// notification went out, so a failed one is tried again next run.
//
// A finding q says is acknowledged or silenced is held back: its change is
// not sent and the record keeps what was last sent, so the change goes out
// on the first run after the silence or acknowledgement ends, if it still
// holds. A finding that turns OK is always sent (no receiver keeps a stale
// alert open). A failing finding nobody acknowledged is sent again every
// remind[state] (none when 0).
func notify(ctx context.Context, st *teamState, rep Report, f *checkFlags, q quiet, remind map[fleet.State]time.Duration, now time.Time) (held int, err error) {
	prev, last, err := st.loadCheck()
	if err != nil {
		return 0, err
	}
	rems, err := st.loadReminders()
	if err != nil {
		return 0, err
	}
	cur := checkState{}
	ours := map[string]bool{}
	keyOf := map[string]string{} // record key → the check's key
	for _, h := range rep.Hosts {
		ours[h.Name] = true
		cur[h.Name+"/host"] = h.State.String() // kept as text in the record
		keyOf[h.Name+"/host"] = fleet.CheckKey(fleet.KindHost, "")
		for _, fd := range h.Findings {
			cur[h.Name+"/"+fd.Check] = fd.State.String()
			keyOf[h.Name+"/"+fd.Check] = fd.Key
		}
	}
	quietNow := map[string]bool{}
	// A host's own line is quiet when it is, or when every failing
	// finding of the host is.
	allQuiet := map[string]bool{}
	for _, h := range rep.Hosts {
		n, quiet := 0, 0
		for _, fd := range h.Findings {
			if fd.State != fleet.OK && fd.Key != keyOf[h.Name+"/host"] {
				n++
				if q != nil && q(h.Name, fd.Key) != "" {
					quiet++
				}
			}
		}
		allQuiet[h.Name] = n > 0 && quiet == n
	}
	for k, state := range cur {
		host, _, _ := strings.Cut(k, "/")
		isHost := k == host+"/host"
		if state == "OK" || q == nil || q(host, keyOf[k]) == "" && !(isHost && allQuiet[host]) {
			continue
		}
		quietNow[k] = true
		if was, ok := prev[k]; ok && was == state {
			continue // no change to hold back
		}
		held++
		if was, ok := prev[k]; ok {
			cur[k] = was
		} else {
			delete(cur, k)
		}
	}
	rep = notifiedReport(rep, cur)
	// The state may be shared (a team's database, two configs on one
	// state directory): another run's hosts are neither changes of this
	// run nor dropped from what it saves.
	others := checkState{}
	for k, v := range prev {
		if host, _, _ := strings.Cut(k, "/"); !ours[host] {
			others[k] = v
			delete(prev, k)
		}
	}
	var changes []string
	keys := map[string]bool{}
	for k := range cur {
		keys[k] = true
	}
	for k := range prev {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	reasons := map[string]string{}
	for _, h := range rep.Hosts {
		reasons[h.Name+"/host"] = h.Reason
		for _, fd := range h.Findings {
			reasons[h.Name+"/"+fd.Check] = fd.Reason
		}
	}
	now0 := now
	for _, k := range sorted {
		was, now := prev[k], cur[k]
		if was == "" {
			was = "OK"
		}
		if now == "" {
			now = "OK"
		}
		if was == now && now != "OK" && !quietNow[k] {
			if line, due := rems.due(k, recordedState(now), remind, now0); due {
				changes = append(changes, strings.Replace(k, "/", ": ", 1)+line)
				continue
			}
		}
		if was == now && !(f.always && now != "OK" && !quietNow[k]) {
			continue
		}
		line := fmt.Sprintf("%s %s (was %s)", strings.Replace(k, "/", ": ", 1), now, was)
		if r := reasons[k]; r != "" && now != "OK" {
			line += " — " + r
		}
		changes = append(changes, line)
		rems.sent(k, now, now0)
	}
	text := fmt.Sprintf("opsdeck: worst %s\n%s", rep.Worst, strings.Join(changes, "\n"))
	var errs []error
	switch {
	case f.notifyURL == "":
	case f.notifyKind == "alertmanager":
		// Alertmanager wants firing alerts again before they expire, and
		// resolved ones once: every run, changed or not.
		errs = append(errs, postAlerts(ctx, f.notifyURL, alertsFor(rep, prev, cur, now0, last)))
	case len(changes) == 0:
	case f.notifyKind == "ntfy":
		errs = append(errs, postNtfy(ctx, f.notifyURL, rep.Worst, text))
	default:
		errs = append(errs, postWebhook(ctx, f.notifyURL, text))
	}
	if f.notifyCmd != "" && len(changes) > 0 {
		errs = append(errs, runNotifyCmd(ctx, f.notifyCmd, text))
	}
	if err := errors.Join(errs...); err != nil {
		return held, err
	}
	for k, v := range others {
		cur[k] = v
	}
	rems.keep(cur, ours)
	if err := st.saveReminders(rems); err != nil {
		return held, err
	}
	return held, st.saveCheck(cur)
}

// webhookClient never follows a redirect: a 307 would re-POST the report
// to an address nobody configured.
var webhookClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func postWebhook(ctx context.Context, rawURL, text string) error {
	body, _ := json.Marshal(map[string]string{"text": text})
	return post(ctx, "webhook", rawURL, body, map[string]string{"Content-Type": "application/json"})
}

// post sends body to rawURL with headers, never following a redirect, and
// names the URL by its host only in errors (the path is a token's place).
func post(ctx context.Context, what, rawURL string, body []byte, headers map[string]string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	shown := redactURL(rawURL)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s: not a usable URL", what, shown)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := webhookClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the whole URL
		}
		return fmt.Errorf("%s %s: %v", what, shown, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	switch {
	case resp.StatusCode/100 == 3:
		return fmt.Errorf("%s %s answered %s: redirects are not followed (the report would go to another address)", what, shown, fleet.Sanitize(resp.Status, 80))
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("%s %s answered %s", what, shown, fleet.Sanitize(resp.Status, 80))
	}
	return nil
}

// redactURL shows a URL as scheme://host/… only: no user, path or query,
// which is where webhook tokens live.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(URL hidden)"
	}
	s := u.Scheme + "://" + u.Host
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		s += "/…"
	}
	return s
}

func runNotifyCmd(ctx context.Context, command, text string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "-c", command)
	c.Stdin = strings.NewReader(text + "\n")
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("notify-cmd: %v: %s", err, fleet.Sanitize(string(out), 200))
	}
	return nil
}
