package actions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/probe"
)

// PlanSnapshot plans running a backup's configured snapshot command.
func PlanSnapshot(h *fleet.Host, backup string) (*Plan, error) {
	b, err := findBackup(h, backup)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(b.Snapshot) == "" {
		return nil, fmt.Errorf("backup %s on %s has no snapshot command (set snapshot = \"…\")", b.Name, h.Name)
	}
	cmd := fleet.SudoScript(h.Sudo != nil && *h.Sudo, b.Snapshot)
	return &Plan{Kind: KindSnapshot, Host: h, Target: b.Name, Command: cmd, Timeout: time.Hour}, nil
}

// FindBackup returns a host's configured backup by name.
func FindBackup(h *fleet.Host, name string) (*fleet.Backup, error) { return findBackup(h, name) }

func findBackup(h *fleet.Host, name string) (*fleet.Backup, error) {
	var names []string
	for i := range h.Backups {
		if h.Backups[i].Name == name {
			return &h.Backups[i], nil
		}
		names = append(names, h.Backups[i].Name)
	}
	msg := fmt.Sprintf("host %s has no backup %q", h.Name, name)
	if len(names) > 0 {
		msg += " (backups: " + strings.Join(names, ", ") + ")"
	}
	return nil, errors.New(msg)
}

// Drill is a planned restore drill: the plan that runs it and what it
// tests.
type Drill struct {
	Plan     *Plan
	Source   *fleet.Host // the host whose backup is drilled
	Backup   *fleet.Backup
	ID       string // the unique {drill_id}
	Artifact string
	At       time.Time // the artefact's time
	Size     int64
}

// NewDrillID makes a name usable as a scratch database or directory name.
func NewDrillID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "opsdeck_drill_" + now.UTC().Format("20060102_150405") + "_" + hex.EncodeToString(b[:])
}

// Drillable says whether a backup can be drilled: kind restic (restore
// and verify have defaults), or restore and verify commands configured.
func Drillable(b *fleet.Backup) bool { return b.Kind == "restic" || b.Restore != "" && b.Verify != "" }

// PlanDrill plans a restore drill of backup on h, run on the backup's
// drill_host when set (hosts resolves it), restoring the newest artefact
// the last check saw.
func PlanDrill(h *fleet.Host, backup string, newest *fleet.BackupStatus, hosts []fleet.Host, now time.Time) (*Drill, error) {
	b, err := findBackup(h, backup)
	if err != nil {
		return nil, err
	}
	if newest == nil || newest.Newest == "" {
		return nil, fmt.Errorf("backup %s on %s: no artefact known yet; wait for the backup check (or take a snapshot)", b.Name, h.Name)
	}
	restore, verify := b.Restore, b.Verify
	if b.Kind == "restic" {
		r := "restic --no-lock -r " + probe.Quote(b.Repo) + " --password-file " + probe.Quote(b.PasswordFile)
		if restore == "" {
			restore = r + " restore {artifact} --target {scratch}"
		}
		if verify == "" {
			verify = `[ -n "$(ls -A {scratch})" ] && ` + r + " check"
		}
	}
	if restore == "" || verify == "" {
		return nil, fmt.Errorf("backup %s on %s: a drill needs restore and verify commands", b.Name, h.Name)
	}
	runOn := h
	if b.DrillHost != "" {
		runOn = nil
		for i := range hosts {
			if hosts[i].Name == b.DrillHost {
				runOn = &hosts[i]
			}
		}
		if runOn == nil {
			return nil, fmt.Errorf("drill_host %q is not a configured host", b.DrillHost)
		}
	}
	d := &Drill{Source: h, Backup: b, ID: NewDrillID(now), Artifact: newest.Newest, At: newest.NewestAt, Size: newest.Size}
	script := DrillScript(d.ID, d.Artifact, restore, verify, b.Cleanup)
	script = fleet.SudoScript(runOn.Sudo != nil && *runOn.Sudo, script)
	d.Plan = &Plan{Kind: KindDrill, Host: runOn, Target: b.Name, Command: script, Timeout: time.Hour,
		Steps: []string{"restore " + d.Artifact + " into a scratch workspace:", "  " + Substitute(restore, d.ID, d.Artifact),
			"verify:", "  " + Substitute(verify, d.ID, d.Artifact)}}
	if strings.TrimSpace(b.Cleanup) != "" {
		d.Plan.Steps = append(d.Plan.Steps, "always clean up:", "  "+Substitute(b.Cleanup, d.ID, d.Artifact))
	}
	return d, nil
}

// Substitute replaces {artifact}, {scratch} and {drill_id} in a configured
// command. Each value reaches the command as one literal word: artifact and
// drill_id are single-quoted, scratch is the quoted shell variable the
// drill script sets.
func Substitute(cmd, drillID, artifact string) string {
	return strings.NewReplacer(
		fleet.PlaceholderArtifact, probe.Quote(artifact),
		fleet.PlaceholderDrillID, probe.Quote(drillID),
		fleet.PlaceholderScratch, `"$scratch"`,
	).Replace(cmd)
}

// DrillScript is the POSIX sh script of a drill: make a scratch workspace,
// restore, verify, and always clean up — on success, failure, timeout,
// cancel (TERM) or a lost connection (HUP, PIPE).
func DrillScript(id, artifact, restore, verify, cleanup string) string {
	sub := func(c string) string { return Substitute(c, id, artifact) }
	var b strings.Builder
	b.WriteString("scratch=$(mktemp -d \"${TMPDIR:-/tmp}/opsdeck-drill.XXXXXX\") || { echo 'cannot make a scratch directory'; exit 97; }\n")
	b.WriteString("cleanup() {\n  trap '' PIPE\n  echo '── cleanup'\n")
	if strings.TrimSpace(cleanup) != "" {
		b.WriteString("  ( " + sub(cleanup) + " ) || echo \"cleanup command failed: $?\"\n")
	}
	b.WriteString("  rm -rf -- \"$scratch\"\n}\n")
	b.WriteString("trap cleanup EXIT\ntrap 'exit 130' INT TERM HUP PIPE\n")
	fmt.Fprintf(&b, "echo \"── drill %s: scratch $scratch\"\n", id)
	// Each step's stderr joins its stdout: one stream keeps the order, so a
	// step's error line comes before the script's "failed" line.
	b.WriteString("echo '── restore'\n( " + sub(restore) + " ) 2>&1 || { rc=$?; echo \"restore failed: exit $rc\"; exit $rc; }\n")
	b.WriteString("echo '── verify'\n( " + sub(verify) + " ) 2>&1 || { rc=$?; echo \"verify failed: exit $rc\"; exit $rc; }\n")
	b.WriteString("echo '── PASS'\n")
	return b.String()
}

// DrillFailure says which step of a drill failed and with what error, from
// its output: "restore failed (exit 1): gzip: stdin: not in gzip format".
// The error is the step's last line before the script's own failure line;
// "" when the output shows no failed step.
func DrillFailure(tail []string, exit int) string {
	for i := len(tail) - 1; i >= 0; i-- {
		step, ok := "", false
		for _, s := range []string{"restore", "verify"} {
			if strings.HasPrefix(tail[i], s+" failed: exit ") {
				step, ok = s, true
			}
		}
		if tail[i] == "cannot make a scratch directory" {
			return "drill failed: cannot make a scratch directory on the host"
		}
		if !ok {
			continue
		}
		// The step's own lines: after its marker, before the failure.
		from := 0
		for j := i - 1; j >= 0; j-- {
			if tail[j] == "── "+step {
				from = j + 1
				break
			}
		}
		if l := errorLine(tail[from:i]); l != "" {
			return fmt.Sprintf("%s failed (exit %d): %s", step, exit, fleet.Sanitize(l, 200))
		}
		return fmt.Sprintf("%s failed (exit %d), with no output", step, exit)
	}
	return ""
}

// errorLine is the line of a failed command's output that says what went
// wrong: the last that reads like an error, else the last with words in
// it (a psql caret line "^" says nothing).
func errorLine(lines []string) string {
	words := ""
	for j := len(lines) - 1; j >= 0; j-- {
		l := strings.TrimSpace(lines[j])
		low := strings.ToLower(l)
		for _, w := range []string{"error", "fatal", "failed", "cannot", "can't", "denied", "not found", "no such", "invalid", "not in"} {
			if strings.Contains(low, w) {
				return l
			}
		}
		if words == "" && strings.IndexFunc(l, unicode.IsLetter) >= 0 && !strings.HasPrefix(l, "──") {
			words = l
		}
	}
	return words
}

// RunDrill runs a confirmed drill and records it in the drill history and
// the audit log. A cancelled drill tested nothing and is only audited.
func (m *Manager) RunDrill(ctx context.Context, d *Drill, hist DrillHistory, onLine func(string)) (Result, *fleet.DrillRecord) {
	r := m.Run(ctx, d.Plan, onLine)
	if r.Outcome == Refused || r.Outcome == Cancelled || r.Outcome == Interrupted {
		return r, nil
	}
	rec := &fleet.DrillRecord{
		Time: time.Now().UTC(), Host: d.Source.Name, Backup: d.Backup.Name, DrillID: d.ID,
		Passed: r.Outcome == Succeeded && r.Err == nil, Duration: r.Duration, Artifact: d.Artifact,
		Size: d.Size, Output: r.Tail, Operator: m.Operator,
	}
	if !d.At.IsZero() {
		rec.ArtifactAge = time.Since(d.At)
	}
	if !rec.Passed && r.Ran {
		if why := DrillFailure(r.Tail, r.Exit); why != "" {
			r.Err = errors.New(why) // the failing step's own error, not the clean-up's last line
		}
	}
	if r.Err != nil {
		rec.Reason = fleet.Sanitize(r.Err.Error(), fleet.MaxText)
	}
	if err := hist.Append(*rec); err != nil {
		r.Err = errors.Join(r.Err, err) // names the drill history and its path
	}
	return r, rec
}

// SanitizeDrill bounds and cleans a drill record's output before any store
// keeps it.
func SanitizeDrill(rec fleet.DrillRecord) fleet.DrillRecord {
	for i := range rec.Output {
		rec.Output[i] = fleet.Sanitize(rec.Output[i], fleet.MaxText)
	}
	return rec
}
