package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions/record/files"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// A host whose sshd stops goes DOWN and comes back OK: the history holds
// both changes, the second with when the DOWN began, and 'opsdeck
// history' prints them.
func TestHistory_DownThenOK(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	h := f.Hosts[0]
	cfg, conn := connectTest(t, fmt.Sprintf("%spoll_interval = \"1s\"\ntimeout = \"2s\"\n[[hosts]]\nname = \"web-1\"\naddress = %q\nport = %d\n",
		f.Defaults(), h.Listen, h.Port))
	state := t.TempDir()
	path := filepath.Join(state, "opsdeck", "events.jsonl")
	store := fleet.NewStore(cfg.Hosts)
	poller := fleet.NewPoller(cfg, store, conn.Source)
	ctx, cancel := context.WithCancel(context.Background())
	poller.Start(ctx)
	hist := fleet.StartHistory(ctx, store, &files.EventLog{Path: path}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer func() { cancel(); poller.Wait(); hist.Wait() }()

	waitState(t, store, "web-1", fleet.OK)
	h.Stop()
	down := waitState(t, store, "web-1", fleet.Down)
	h.Start()
	waitState(t, store, "web-1", fleet.OK)
	var back fleet.Event
	fleettest.Eventually(t, 10*time.Second, "a DOWN → OK event recorded", func() bool {
		es, _ := hist.Log.Read(func(e *fleet.Event) bool { return e.Check == fleet.HostCheck && e.From == "DOWN" })
		if len(es) > 0 {
			back = es[0]
		}
		return back.To == "OK"
	})
	if back.Since.IsZero() || back.Since.After(back.Time) || back.Since.Before(down.Add(-2*time.Second)) {
		t.Errorf("DOWN → OK at %v: since %v, want about when it went DOWN (%v)", back.Time, back.Since, down)
	}
	out, errOut, code := opsdeck(t, []string{"XDG_STATE_HOME=" + state}, "history", "web-1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var seen []string
	dec := json.NewDecoder(bytes.NewBufferString(out))
	for dec.More() {
		var e fleet.Event
		if err := dec.Decode(&e); err != nil {
			t.Fatal(err)
		}
		if e.Check == fleet.HostCheck {
			seen = append(seen, e.From+"→"+e.To)
		}
	}
	if got := strings.Join(seen, ","); got != "OK→DOWN,DOWN→OK" {
		t.Errorf("host changes %q, want OK→DOWN,DOWN→OK\n%s", got, out)
	}
	out, _, _ = opsdeck(t, []string{"XDG_STATE_HOME=" + state}, "history")
	if !strings.Contains(out, "DOWN → OK") || !strings.Contains(out, "web-1") {
		t.Errorf("plain history:\n%s", out)
	}
}

// waitState waits until a host's evaluated state is want and returns when.
func waitState(t *testing.T, store *fleet.Store, host string, want fleet.State) time.Time {
	t.Helper()
	var at time.Time
	var last fleet.Health
	fleettest.EventuallyShow(t, 20*time.Second, host+" "+want.String(), func() bool {
		st, _ := store.Status(host)
		at = time.Now()
		last = fleet.Assess(&st, at)
		return last.State == want
	}, func() string { return fmt.Sprintf("%+v", last) })
	return at
}

// opsdeck drills lists the drill history, filtered by host and backup,
// a failed drill with its own error.
func TestDrills_Listed(t *testing.T) {
	state := t.TempDir()
	log := &files.DrillLog{Path: filepath.Join(state, "opsdeck", "drills.jsonl")}
	now := time.Now().UTC()
	for _, r := range []fleet.DrillRecord{
		{Time: now.Add(-48 * time.Hour), Host: "db-1", Backup: "pg", Passed: true, Duration: 3 * time.Second, Artifact: "/b/pg-1.gz", ArtifactAge: 5 * time.Hour, Operator: "maya@x"},
		{Time: now.Add(-time.Hour), Host: "db-1", Backup: "pg", Passed: false, Artifact: "/b/pg-2.gz", Reason: "restore failed (exit 1): gzip: stdin: not in gzip format", Operator: "tom@x"},
		{Time: now, Host: "web-1", Backup: "site", Passed: true, Artifact: "/b/site.tar"},
	} {
		if err := log.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, code := opsdeck(t, []string{"XDG_STATE_HOME=" + state}, "drills", "db-1", "pg")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "PASS") || !strings.Contains(lines[1], "pg-1.gz") || !strings.Contains(lines[1], "5h") ||
		!strings.Contains(lines[2], "FAIL") || !strings.Contains(lines[2], "gzip: stdin: not in gzip format") || strings.Contains(out, "web-1") {
		t.Errorf("drills db-1 pg:\n%s", out)
	}
}

// opsdeck info names the files in use; opsdeck man writes a page per
// command.
func TestInfoAndMan(t *testing.T) {
	state := t.TempDir()
	cfg := writeFile(t, "fleet.toml", "[defaults]\nknown_hosts = \"/tmp/no-such-known-hosts\"\n[[hosts]]\nname = \"a\"\naddress = \"127.0.0.1\"\n")
	out, errOut, code := opsdeck(t, []string{"XDG_STATE_HOME=" + state}, "info", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"config           " + cfg + " (from --config)", "hosts            1",
		"known_hosts      /tmp/no-such-known-hosts (not there yet) (policy strict)", "audit log        " + filepath.Join(state, "opsdeck", "audit.jsonl"),
		"event history    " + filepath.Join(state, "opsdeck", "events.jsonl"), "theme            dark"} {
		if !strings.Contains(out, want) {
			t.Errorf("info lacks %q:\n%s", want, out)
		}
	}
	dir := t.TempDir()
	if _, errOut, code := opsdeck(t, nil, "man", dir); code != 0 {
		t.Fatalf("man: exit %d: %s", code, errOut)
	}
	for _, page := range []string{"opsdeck.1", "opsdeck-history.1", "opsdeck-drills.1", "opsdeck-check.1"} {
		b, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil || !bytes.Contains(b, []byte(".SH NAME")) {
			t.Errorf("%s: %v\n%.200s", page, err, b)
		}
	}
}
