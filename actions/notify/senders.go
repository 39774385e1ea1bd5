package notify

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
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/report"
)

// client never follows a redirect: a 307 would re-POST the report to an
// address nobody configured.
var client = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func postWebhook(ctx context.Context, rawURL, text string) error {
	body, _ := json.Marshal(map[string]string{"text": text})
	return post(ctx, "webhook", rawURL, body, map[string]string{"Content-Type": "application/json"})
}

// postNtfy publishes text to an ntfy topic URL, with a title and a
// priority by the worst state.
func postNtfy(ctx context.Context, topic string, worst fleet.State, text string) error {
	prio := map[int]string{report.ExitOK: "default", report.ExitWarn: "high", report.ExitCrit: "urgent", report.ExitUnknown: "high"}[report.Exit(worst)]
	return post(ctx, "ntfy", topic, []byte(text), map[string]string{
		"Content-Type": "text/plain; charset=utf-8", "Title": "opsdeck: worst " + worst.String(), "Priority": prio, "Tags": "opsdeck",
	})
}

// Ping tells a dead man's switch (Healthchecks and the like) that a run
// completed.
func Ping(ctx context.Context, rawURL string) error {
	return post(ctx, "heartbeat", rawURL, nil, nil)
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
	resp, err := client.Do(req)
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

// runCmd pipes text to the configured command (from the command line or
// config only, never from a host).
func runCmd(ctx context.Context, command, text string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "-c", command)
	c.Stdin = strings.NewReader(text + "\n")
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("notify-cmd: %v: %s", err, fleet.Sanitize(string(out), 200))
	}
	return nil
}
