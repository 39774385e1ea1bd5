package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// What the release before stable keys wrote: the check state and the
// reminders keyed by the checks' words ("host-1/disk /"), the states as
// text. since is when host-1's disk began failing.
func oldCheckRecord(since time.Time) (state, reminders string) {
	at := since.Add(10 * time.Minute).UTC().Format(time.RFC3339)
	s := since.UTC().Format(time.RFC3339)
	return `{"host-1/host": "CRIT", "host-1/disk /": "CRIT"}`,
		`{"host-1/host": {"since": "` + s + `", "at": "` + at + `"}, "host-1/disk /": {"since": "` + s + `", "at": "` + at + `"}}`
}

// checkUpgraded says whether what check saved after an upgrade keeps the
// failing disk under its key, with its reminder's start.
func checkUpgraded(t *testing.T, state, reminders string, since time.Time) {
	t.Helper()
	var st map[string]string
	if err := json.Unmarshal([]byte(state), &st); err != nil || st["host-1/disk:/"] != "CRIT" || st["host-1/disk /"] != "" {
		t.Errorf("check state after the upgrade: %s (%v)", state, err)
	}
	var rems map[string]struct{ Since time.Time }
	if err := json.Unmarshal([]byte(reminders), &rems); err != nil || !rems["host-1/disk:/"].Since.Equal(since) {
		t.Errorf("reminders after the upgrade: %s (%v): the failure's start is lost", reminders, err)
	}
}

// A state file written by the release before keys is read without a
// single re-notification, and rewritten by key.
func TestUpgrade_NameKeyedStateFile(t *testing.T) {
	f := fleettest.StartFleet(t, 1)
	cfg := checkConfig(t, f, map[string]float64{"host-1": 0.02}, false) // disk / CRIT
	state := t.TempDir()
	since := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	old, rems := oldCheckRecord(since)
	dir := filepath.Join(state, "opsdeck")
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "check-state.json"), []byte(old), 0o600)
	os.WriteFile(filepath.Join(dir, "check-reminders.json"), []byte(rems), 0o600)
	mail := filepath.Join(t.TempDir(), "mail")
	out, errOut, code := opsdeck(t, []string{"XDG_STATE_HOME=" + state}, "check", "-c", cfg, "--notify-cmd", "cat >> "+mail)
	if code != 2 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if b, _ := os.ReadFile(mail); len(b) > 0 {
		t.Errorf("the upgrade notified again what was sent:\n%s", b)
	}
	s, _ := os.ReadFile(filepath.Join(dir, "check-state.json"))
	r, _ := os.ReadFile(filepath.Join(dir, "check-reminders.json"))
	checkUpgraded(t, string(s), string(r), since)
}

// PostgreSQL rows written by the release before keys are read without a
// single re-notification, and rewritten by key.
func TestUpgrade_NameKeyedStatePostgres(t *testing.T) {
	pg, url := fleettest.StartPostgresDB(t, "opsdeck")
	f := fleettest.StartFleet(t, 1)
	cfg := checkConfig(t, f, map[string]float64{"host-1": 0.02}, false)
	env := []string{"OPSDECK_DATABASE_URL=" + url, "XDG_STATE_HOME=" + t.TempDir()}
	// A first run makes the schema; the rows are then those of the
	// release before, as it wrote them.
	if _, errOut, code := opsdeck(t, env, "check", "-c", cfg); code != 2 {
		t.Fatalf("first run: exit %d\n%s", code, errOut)
	}
	since := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	old, rems := oldCheckRecord(since)
	pg.SQL("opsdeck", "DELETE FROM opsdeck_values; INSERT INTO opsdeck_values (name, value, updated_at) VALUES "+
		"('check-state', '"+old+"', now() - interval '5 minutes'), ('check-reminders', '"+rems+"', now())")
	mail := filepath.Join(t.TempDir(), "mail")
	if out, errOut, code := opsdeck(t, env, "check", "-c", cfg, "--notify-cmd", "cat >> "+mail); code != 2 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if b, _ := os.ReadFile(mail); len(b) > 0 {
		t.Errorf("the upgrade notified again what was sent:\n%s", b)
	}
	s := pg.SQL("opsdeck", "SELECT value FROM opsdeck_values WHERE name = 'check-state'")
	r := pg.SQL("opsdeck", "SELECT value FROM opsdeck_values WHERE name = 'check-reminders'")
	checkUpgraded(t, strings.TrimSpace(s), strings.TrimSpace(r), since)
}
