package oncall

import (
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

func TestMatcher(t *testing.T) {
	web := &fleet.Host{Name: "web-03", Tags: []string{"kernel-upgrade", "eu"}, Roles: []string{"web"}, Env: "prod"}
	db := &fleet.Host{Name: "db-1", Tags: []string{"eu"}, Roles: []string{"db"}, Env: "prod"}
	for _, u := range []struct {
		m       Matcher
		check   string
		web, db bool
	}{
		{Matcher{Tags: []string{"kernel-*"}}, "disk:/var", true, false},
		{Matcher{Hosts: []string{"web-0[1-4]"}}, "host", true, false},
		{Matcher{Envs: []string{"prod"}, Checks: []string{"disk"}}, "disk:/var", true, true},
		{Matcher{Envs: []string{"prod"}, Checks: []string{"disk"}}, "service:nginx", false, false},
		{Matcher{Checks: []string{"disk:/v*"}}, "disk:/var", true, true},
		{Matcher{Checks: []string{"disk:/v*"}}, "disk:/", false, false},
		{Matcher{Roles: []string{"db"}, Tags: []string{"eu"}}, "host", false, true},
	} {
		if got := u.m.Matches(web, u.check); got != u.web {
			t.Errorf("%s on web-03 %s: %v", u.m, u.check, got)
		}
		if got := u.m.Matches(db, u.check); got != u.db {
			t.Errorf("%s on db-1 %s: %v", u.m, u.check, got)
		}
	}
	if err := (Matcher{Hosts: []string{"web[01"}}).ValidGlobs(); err == nil {
		t.Error("a malformed glob is accepted")
	}
}

func TestAckEnds(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	a := &Ack{State: fleet.Crit, Value: 96, Unit: "%", At: now.Add(-time.Hour)}
	disk := func(s fleet.State, v float64) fleet.Check { return fleet.Check{State: s, Value: v, Unit: "%"} }
	for _, u := range []struct {
		name  string
		c     fleet.Check
		found bool
		ack   *Ack
		want  string
	}{
		{"still the same", disk(fleet.Crit, 96.5), true, a, ""},
		{"filled further", disk(fleet.Crit, 98.1), true, a, "worse: was 96%, now 98%"},
		{"cleared", disk(fleet.OK, 40), true, a, "the check is OK again"},
		{"eased to WARN", disk(fleet.Warn, 92), true, a, ""},
		{"gone", fleet.Check{}, false, a, "the check is OK again"},
		{"WARN to CRIT", fleet.Check{State: fleet.Crit}, true, &Ack{State: fleet.Warn, At: now}, "worse: was WARN, now CRIT"},
		{"expired", disk(fleet.Crit, 96), true, &Ack{State: fleet.Crit, Until: now}, "expired"},
	} {
		why, _ := AckEnds(u.ack, u.c, u.found, now)
		if why != u.want {
			t.Errorf("%s: %q, want %q", u.name, why, u.want)
		}
	}
}

func TestFold(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	h := &fleet.Host{Name: "web-1", Tags: []string{"t"}}
	rs := []Record{
		{Op: OpAck, Ack: &Ack{ID: "a1", Host: "web-1", Check: "disk:/var", State: fleet.Warn}},
		{Op: OpAck, Ack: &Ack{ID: "a2", Host: "web-1", Check: "host", State: fleet.Crit}},
		{Op: OpUnack, ID: "a2"},
		{Op: OpSilence, Silence: &Silence{ID: "s1", Match: Matcher{Tags: []string{"t"}}, From: now.Add(time.Hour), Until: now.Add(3 * time.Hour)}},
		{Op: OpSilence, Silence: &Silence{ID: "s2", Match: Matcher{Hosts: []string{"web-*"}}, From: now.Add(-time.Hour), Until: now.Add(time.Hour)}},
		{Op: OpExpire, ID: "s2"},
	}
	o := Fold(rs)
	if a, ok := o.Ack("web-1", "disk:/var"); !ok || a.ID != "a1" {
		t.Errorf("a1: %v %v", a, ok)
	}
	if _, ok := o.Ack("web-1", "host"); ok {
		t.Error("an ended acknowledgement is in force")
	}
	if _, ok := o.Silenced(h, "host", now); ok {
		t.Error("an expired silence, or one not started yet, silences")
	}
	if s, ok := o.Silenced(h, "host", now.Add(90*time.Minute)); !ok || s.ID != "s1" {
		t.Errorf("the scheduled silence at its time: %v %v", s, ok)
	}
	if n := len(o.Silences(now)); n != 1 {
		t.Errorf("%d silences to come", n)
	}
}

func TestCheckNote(t *testing.T) {
	for note, want := range map[string]string{
		"":                       "a note is needed",
		"cleaning /var/log":      "",
		"bad \x1b[31mred":        "control characters",
		strings.Repeat("x", 201): "at most 200",
		"line one\nline two":     "control characters",
	} {
		err := CheckNote(note)
		if (want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", note, err, want)
		}
	}
}
