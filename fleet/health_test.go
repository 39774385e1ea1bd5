package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 3, 12, 0, 0, time.UTC)

// testHost judges each sample by itself: no level needs to be held.
func testHost(name string) *Host {
	return &Host{Name: name, PollInterval: Duration{5 * time.Second}, Timeout: Duration{4 * time.Second}, Limits: instantLimits()}
}

func instantLimits() Limits {
	l := DefaultLimits
	for _, p := range []*Pair{&l.CPU, &l.Memory, &l.Disk, &l.Load} {
		p.For, p.Clear = 0, 0
	}
	return l
}

func okSample(at time.Time) *Sample {
	return &Sample{
		At: at, CPU: 12, MemTotal: 100, MemUsed: 40, Load1: 0.5, Cores: 2,
		Disks: []Disk{{Mount: "/", Used: 30, Free: 70}, {Mount: "/var", Used: 50, Free: 50}},
	}
}

func TestAssess(t *testing.T) {
	uu := map[string]struct {
		status     func(h *Host) HostStatus
		wantState  State
		wantReason string
	}{
		"never sampled": {
			status:    func(h *Host) HostStatus { return HostStatus{Host: h} },
			wantState: Unknown, wantReason: "no data yet",
		},
		"not pollable": {
			status:    func(h *Host) HostStatus { return HostStatus{Host: h, Note: "no transport"} },
			wantState: Unknown, wantReason: "no transport",
		},
		"all fine": {
			status:    func(h *Host) HostStatus { return HostStatus{Host: h, Last: okSample(t0.Add(-time.Second))} },
			wantState: OK,
		},
		"disk crit names mount and threshold": {
			status: func(h *Host) HostStatus {
				s := okSample(t0)
				s.Disks[1] = Disk{Mount: "/var", Used: 97, Free: 3}
				return HostStatus{Host: h, Last: s}
			},
			wantState: Crit, wantReason: "disk /var 97% ≥ 90%",
		},
		"cpu warn": {
			status: func(h *Host) HostStatus {
				s := okSample(t0)
				s.CPU = 88.6
				return HostStatus{Host: h, Last: s}
			},
			wantState: Warn, wantReason: "cpu 88% ≥ 85%",
		},
		"load per core crit": {
			status: func(h *Host) HostStatus {
				s := okSample(t0)
				s.Load1, s.Cores = 13, 4
				return HostStatus{Host: h, Last: s}
			},
			wantState: Crit, wantReason: "load 3.25 ≥ 3.00",
		},
		"crit beats warn": {
			status: func(h *Host) HostStatus {
				s := okSample(t0)
				s.CPU, s.MemUsed = 90, 99
				return HostStatus{Host: h, Last: s}
			},
			wantState: Crit, wantReason: "memory 99% ≥ 95%",
		},
		"an unknown metric does not hide a warning": {
			status: func(h *Host) HostStatus {
				s := okSample(t0)
				s.CPU = 90
				s.MarkUnknown(MetricMemory, "meminfo truncated")
				return HostStatus{Host: h, Last: s}
			},
			wantState: Warn, wantReason: "cpu 90% ≥ 85%",
		},
		"unknown metric alone": {
			status: func(h *Host) HostStatus {
				s := okSample(t0)
				s.MarkUnknown(MetricMemory, "meminfo truncated")
				return HostStatus{Host: h, Last: s}
			},
			wantState: Unknown, wantReason: "memory: meminfo truncated",
		},
		"slow: answers, but the poll ran out of time": {
			status: func(h *Host) HostStatus {
				return HostStatus{Host: h, Last: okSample(t0.Add(-20 * time.Second)), Err: "slow: command on h started but did not finish in time", ErrAt: t0, Slow: true}
			},
			wantState: Slow, wantReason: "answers, but too late: slow: command on h started but did not finish in time; last data 20s ago",
		},
		"a check not run yet does not count": {
			status: func(h *Host) HostStatus {
				h.Backups = []Backup{{Name: "pg", Kind: "files"}}
				return HostStatus{Host: h, Last: okSample(t0)}
			},
			wantState: OK,
		},
		"unreadable mount": {
			status: func(h *Host) HostStatus {
				s := okSample(t0)
				s.Disks = append(s.Disks, Disk{Mount: "/data", Err: "no such file"})
				return HostStatus{Host: h, Last: s}
			},
			wantState: Unknown, wantReason: "disk /data: no such file",
		},
		"stale after two intervals and the timeout": {
			status:    func(h *Host) HostStatus { return HostStatus{Host: h, Last: okSample(t0.Add(-15 * time.Second))} },
			wantState: Stale, wantReason: "no new data for 15s",
		},
		"not stale at exactly two intervals and the timeout": {
			status:    func(h *Host) HostStatus { return HostStatus{Host: h, Last: okSample(t0.Add(-14 * time.Second))} },
			wantState: OK,
		},
		"not stale while a slow poll is still in time": {
			status:    func(h *Host) HostStatus { return HostStatus{Host: h, Last: okSample(t0.Add(-12 * time.Second))} },
			wantState: OK,
		},
		"stale hides crit values": {
			status: func(h *Host) HostStatus {
				s := okSample(t0.Add(-time.Hour))
				s.CPU = 99
				return HostStatus{Host: h, Last: s}
			},
			wantState: Stale, wantReason: "no new data for 1h",
		},
		"down after failed poll, with last-good age": {
			status: func(h *Host) HostStatus {
				return HostStatus{Host: h, Last: okSample(t0.Add(-3 * time.Minute)), Err: "connection refused", ErrAt: t0}
			},
			wantState: Down, wantReason: "connection refused; last data 3m ago",
		},
		"down without ever having data": {
			status:    func(h *Host) HostStatus { return HostStatus{Host: h, Err: "auth failed", ErrAt: t0} },
			wantState: Down, wantReason: "auth failed",
		},
		"recovered after error": {
			status: func(h *Host) HostStatus {
				return HostStatus{Host: h, Last: okSample(t0), Err: "old", ErrAt: t0.Add(-time.Second)}
			},
			wantState: OK,
		},
	}
	for name, u := range uu {
		t.Run(name, func(t *testing.T) {
			st := u.status(testHost("h"))
			got := Assess(&st, t0)
			if got.State != u.wantState {
				t.Errorf("state = %s (%s), want %s", got.State, got.Reason, u.wantState)
			}
			if u.wantReason != "" && got.Reason != u.wantReason {
				t.Errorf("reason = %q, want %q", got.Reason, u.wantReason)
			}
		})
	}
}

func TestEvaluate_ThresholdBoundaries(t *testing.T) {
	l := instantLimits()
	for _, u := range []struct {
		cpu  float64
		want State
	}{{84.9, OK}, {85, Warn}, {94.99, Warn}, {95, Crit}, {100, Crit}} {
		s := okSample(t0)
		s.CPU = u.cpu
		if c := Evaluate(s, l, nil, nil)[0]; c.State != u.want {
			t.Errorf("cpu %.2f: %s, want %s", u.cpu, c.State, u.want)
		}
	}
}

func TestStateOrder(t *testing.T) {
	order := []State{OK, Unknown, Warn, Slow, Stale, Crit, Down}
	for i := 1; i < len(order); i++ {
		if Worse(order[i-1], order[i]) != order[i] {
			t.Errorf("%s must rank above %s", order[i], order[i-1])
		}
	}
}

func TestFormatAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 4 * time.Second: "4s", 3 * time.Minute: "3m",
		2 * time.Hour: "2h", 47 * time.Hour: "47h", 9 * 24 * time.Hour: "9d",
	} {
		if got := FormatAge(d); got != want {
			t.Errorf("FormatAge(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestStore_RecordAndHistory(t *testing.T) {
	hosts := []Host{*testHost("a"), *testHost("b")}
	s := NewStore(hosts)
	v0 := s.Version()
	for i := 0; i < HistoryLen+5; i++ {
		smp := okSample(t0.Add(time.Duration(i) * time.Second))
		smp.CPU = float64(i)
		s.Record(Observation{Host: "a", At: smp.At, Sample: smp})
	}
	if s.Version() == v0 {
		t.Fatal("version did not move")
	}
	cpu, mem := s.History("a")
	if len(cpu) != HistoryLen || cpu[0] != 5 || cpu[len(cpu)-1] != HistoryLen+4 {
		t.Errorf("cpu history: len %d first %v last %v", len(cpu), cpu[0], cpu[len(cpu)-1])
	}
	if len(mem) != HistoryLen {
		t.Errorf("mem history len %d", len(mem))
	}
	s.Record(Observation{Host: "a", At: t0.Add(time.Hour), Err: errors.New("refused \x1b]0;pwned\x07now")})
	snap, _ := s.Snapshot()
	if snap[0].Err != "refused now" || snap[0].Fails != 1 || snap[0].Last == nil {
		t.Errorf("after failure: %+v", snap[0])
	}
	if snap[1].Last != nil || snap[1].Polls != 0 {
		t.Errorf("host b touched: %+v", snap[1])
	}
	s.Record(Observation{Host: "nope", At: t0})
}

func TestSanitize(t *testing.T) {
	uu := map[string]struct{ in, want string }{
		"plain":         {"disk full", "disk full"},
		"csi colour":    {"\x1b[31mred\x1b[0m", "red"},
		"osc title":     {"a\x1b]0;evil title\x07b", "ab"},
		"osc52 st":      {"x\x1b]52;c;SGVsbG8=\x1b\\y", "xy"},
		"clear screen":  {"\x1b[2J\x1b[Hok", "ok"},
		"c1 csi":        {"a\u009b31mb", "ab"},
		"newlines":      {"line1\nline2\r\n", "line1 line2  "},
		"bidi override": {"abc\u202edcba", "abcdcba"},
		"invalid utf8":  {"a\xffb", "a\ufffdb"},
		"dcs":           {"a\x1bPq#0;2;0;0;0\x1b\\b", "ab"},
	}
	for name, u := range uu {
		t.Run(name, func(t *testing.T) {
			if got := Sanitize(u.in, 100); got != u.want {
				t.Errorf("Sanitize(%q) = %q, want %q", u.in, got, u.want)
			}
		})
	}
	long := strings.Repeat("x", 1000)
	if got := Sanitize(long, 10); got != strings.Repeat("x", 9)+"…" {
		t.Errorf("cap: %q", got)
	}
}

func FuzzSanitize(f *testing.F) {
	f.Add("\x1b[31mred\x1b]0;t\x07")
	f.Add("a\u009b31mb\x1bP")
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s, 64)
		if strings.ContainsAny(out, "\x1b\x07\n\r\u009b\u009d") {
			t.Fatalf("control left in %q", out)
		}
		if n := len([]rune(out)); n > 64 {
			t.Fatalf("too long: %d", n)
		}
	})
}

func TestBackupCheck(t *testing.T) {
	b := &Backup{Name: "pg", MaxAge: Duration{26 * time.Hour}, MinSize: 1000, DrillEvery: Duration{7 * 24 * time.Hour}}
	fresh := func(size, prev int64) *BackupStatus {
		return &BackupStatus{Name: "pg", NewestAt: t0.Add(-time.Hour), Size: size, PrevSize: prev, Count: 2}
	}
	pass := &DrillRecord{Time: t0.Add(-24 * time.Hour), Passed: true}
	fail := &DrillRecord{Time: t0.Add(-time.Hour), Passed: false}
	old := &DrillRecord{Time: t0.Add(-9 * 24 * time.Hour), Passed: true}
	for name, u := range map[string]struct {
		st     *BackupStatus
		drills DrillSummary
		want   State
		reason string
	}{
		"ok":            {fresh(5000, 5000), DrillSummary{Last: pass, LastPass: pass}, OK, "backup pg 1h old"},
		"not checked":   {nil, DrillSummary{}, Unknown, "not checked yet"},
		"unreadable":    {&BackupStatus{Err: "restic: wrong password"}, DrillSummary{}, Unknown, "wrong password"},
		"none":          {&BackupStatus{Count: 0}, DrillSummary{}, Crit, "no backup found"},
		"old":           {&BackupStatus{NewestAt: t0.Add(-30 * time.Hour), Size: 5000}, DrillSummary{Last: pass, LastPass: pass}, Warn, "is 30h old (max 26h)"},
		"very old":      {&BackupStatus{NewestAt: t0.Add(-72 * time.Hour), Size: 5000}, DrillSummary{Last: pass, LastPass: pass}, Crit, "is 3d old"},
		"under min":     {fresh(10, -1), DrillSummary{Last: pass, LastPass: pass}, Crit, "too small: 10 B < 1000 B"},
		"shrunk":        {fresh(2000, 5000), DrillSummary{Last: pass, LastPass: pass}, Crit, "too small: 2.0 KiB, previous 4.9 KiB"},
		"empty":         {fresh(0, -1), DrillSummary{Last: pass, LastPass: pass}, Crit, "empty"},
		"never drilled": {fresh(5000, 5000), DrillSummary{}, Warn, "never restore-tested"},
		"overdue":       {fresh(5000, 5000), DrillSummary{Last: old, LastPass: old}, Warn, "last passing drill 9d ago (every 7d)"},
		"failed drill":  {fresh(5000, 5000), DrillSummary{Last: fail, LastPass: pass}, Crit, "last restore drill FAILED 1h ago"},
		// A history that could not be read is no verdict: not "never",
		// not the failure another may have bettered since.
		"history unknown":        {fresh(5000, 5000), DrillSummary{Unknown: "database unreachable"}, Unknown, "backup pg: drill history unknown: database unreachable"},
		"history unknown, fail":  {fresh(5000, 5000), DrillSummary{Last: fail, Unknown: "database unreachable"}, Unknown, "drill history unknown"},
		"history unknown, stale": {&BackupStatus{NewestAt: t0.Add(-30 * time.Hour), Size: 5000}, DrillSummary{Unknown: "x"}, Warn, "is 30h old"},
	} {
		t.Run(name, func(t *testing.T) {
			c := BackupCheck(b, u.st, u.drills, t0)
			if c.State != u.want || !strings.Contains(c.Reason, u.reason) {
				t.Errorf("%s %q, want %s containing %q", c.State, c.Reason, u.want, u.reason)
			}
		})
	}
}

func TestStore_RecordDrill(t *testing.T) {
	s := NewStore([]Host{*testHost("db")})
	s.RecordDrill(DrillRecord{Host: "db", Backup: "pg", Time: t0, Passed: true})
	s.RecordDrill(DrillRecord{Host: "db", Backup: "pg", Time: t0.Add(time.Hour), Passed: false})
	s.RecordDrill(DrillRecord{Host: "db", Backup: "pg", Time: t0.Add(-time.Hour), Passed: true}) // older, loaded late
	st, _ := s.Status("db")
	d := st.Drills["pg"]
	if d.Last == nil || d.Last.Passed || !d.Last.Time.Equal(t0.Add(time.Hour)) || d.LastPass == nil || !d.LastPass.Time.Equal(t0) {
		t.Errorf("summary %+v %+v", d.Last, d.LastPass)
	}
}

// A drill history the store could not read: drilled backups are UNKNOWN
// until it is read, a backup with no drill configured is not judged on it.
func TestAssess_DrillHistoryUnknown(t *testing.T) {
	h := Host{Name: "db-1", Backups: []Backup{
		{Name: "pg", Restore: "pg_restore {artifact}"},
		{Name: "logs"},
	}}
	s := NewStore([]Host{h})
	now := time.Now()
	s.Record(Observation{Host: "db-1", At: now, Sample: &Sample{At: now, Backups: []BackupStatus{
		{Name: "pg", NewestAt: now.Add(-time.Hour), Size: 10, Count: 1},
		{Name: "logs", NewestAt: now.Add(-time.Hour), Size: 10, Count: 1},
	}}})
	byName := func() map[string]Check {
		snap, _ := s.Snapshot()
		m := map[string]Check{}
		for _, c := range Assess(&snap[0], now).Checks {
			m[c.Name] = c
		}
		return m
	}
	s.SetDrillsUnknown("database unreachable")
	c := byName()
	if c["backup pg"].State != Unknown || !strings.Contains(c["backup pg"].Reason, "drill history unknown: database unreachable") {
		t.Errorf("drilled backup with its history unread: %+v", c["backup pg"])
	}
	if c["backup logs"].State != OK {
		t.Errorf("backup without drills: %+v", c["backup logs"])
	}
	s.RecordDrill(DrillRecord{Host: "db-1", Backup: "pg", Time: now, Passed: false})
	s.SetDrillsUnknown("")
	if c := byName(); c["backup pg"].State != Crit || !strings.Contains(c["backup pg"].Reason, "FAILED") {
		t.Errorf("once read, the failed drill is the verdict: %+v", c["backup pg"])
	}
}

// A drill read twice (at start and by a shared record's watch) is one
// drill in the history.
func TestStore_RecordDrillOnce(t *testing.T) {
	s := NewStore([]Host{{Name: "db-1", Backups: []Backup{{Name: "pg"}}}})
	now := time.Now()
	d := DrillRecord{Host: "db-1", Backup: "pg", DrillID: "opsdeck_drill_1", Time: now, Passed: true}
	s.RecordDrill(d)
	s.RecordDrill(d)
	s.RecordDrill(DrillRecord{Host: "db-1", Backup: "pg", DrillID: "opsdeck_drill_2", Time: now.Add(time.Minute), Passed: false})
	st, _ := s.Status("db-1")
	if n := len(st.Drills["pg"].Recent); n != 2 {
		t.Errorf("%d drills in the history, want 2: %+v", n, st.Drills["pg"].Recent)
	}
}

// Every check says what it is and why, in types: its key and cause are
// what code decides on, whatever the words of its reason.
func TestAssess_KeysAndCauses(t *testing.T) {
	h := testHost("db-1")
	h.Backups = []Backup{{Name: "pg", MaxAge: Duration{time.Hour}, DrillEvery: Duration{24 * time.Hour}}}
	h.Certs = []Cert{{Endpoint: "db-1:443", WarnDays: 14, CritDays: 3}}
	h.DBPorts = DefaultDBPorts
	no := false
	s := okSample(t0)
	s.Disks[1] = Disk{Mount: "/var", Used: 97, Free: 3, Inodes: 100, IUsed: 95}
	s.Disks = append(s.Disks, Disk{Mount: "/srv", Err: "not in prometheus", ErrCause: CauseNotInSource})
	s.MarkUnknownAs(MetricCPU, CauseNotScraped, "up == 0")
	s.Services = []ServiceStatus{{Name: "pg", State: "FAILED"}, {Name: "cron", Running: true, Enabled: &no}}
	s.Backups = []BackupStatus{{Name: "pg", NewestAt: t0.Add(-3 * time.Hour), Size: 10}}
	s.Security = &SecurityStatus{SSHD: map[string]string{"permitrootlogin": "yes"}, SSHDFrom: "sshd -T",
		Listeners: []Listener{{Proto: "tcp", Addr: "0.0.0.0", Port: 5432}}, UpdatesRead: true, Pending: -1, Security: -1}
	s.Certs = []CertStatus{{Endpoint: "db-1:443", NotAfter: t0.Add(24 * time.Hour)}}
	got := map[string]Cause{}
	for _, c := range Assess(&HostStatus{Host: h, Last: s}, t0).Checks {
		if c.State != OK || c.NotApplicable {
			got[c.Key()] = c.Cause
		}
	}
	want := map[string]Cause{
		"cpu": CauseNotScraped, "disk:/var": CauseOver, "inodes:/var": CauseOver, "disk:/srv": CauseNotInSource,
		"service:pg": CauseNotRunning, "service:cron": CauseNotEnabled, "backup:pg": CauseTooOld,
		"security:sshd": CauseLoginSetting, "security:database ports": CausePublicDB, "security:updates": CauseNotApplicable,
		"cert:db-1:443": CauseExpiring,
	}
	for k, c := range want {
		if got[k] != c {
			t.Errorf("%s: cause %d, want %d", k, got[k], c)
		}
	}
	if len(got) != len(want) {
		t.Errorf("checks not OK: %v, want %v", got, want)
	}
	// The host's own causes: refused (the transport says so), stale, polling.
	st := HostStatus{Host: h, Err: "refused", ErrAt: t0, ErrCause: CauseRefused}
	if hl := Assess(&st, t0); hl.State != Down || hl.Cause != CauseRefused {
		t.Errorf("refused: %s %d", hl.State, hl.Cause)
	}
	if hl := Assess(&HostStatus{Host: h, Last: okSample(t0.Add(-time.Hour))}, t0); hl.Cause != CauseStale {
		t.Errorf("stale: %d", hl.Cause)
	}
	if hl := Assess(&HostStatus{Host: h}, t0); !hl.Polling || hl.Cause != CausePolling {
		t.Errorf("polling: %+v", hl)
	}
}

// causeErr is a failed poll as the transport reports it (sshx.Error).
type causeErr struct {
	error
	cause Cause
}

func (e causeErr) HostCause() Cause { return e.cause }

// The store keeps what a failed poll means when the transport says it,
// wrapped or not; an error that does not say is a plain DOWN.
func TestStore_ErrCause(t *testing.T) {
	h := testHost("h")
	s := NewStore([]Host{*h})
	for _, u := range []struct {
		err  error
		want Cause
	}{
		{causeErr{errors.New("refused"), CauseRefused}, CauseRefused},
		{fmt.Errorf("poll: %w", causeErr{errors.New("no banner"), CauseNoBanner}), CauseNoBanner},
		{errors.New("something else"), CauseNone},
	} {
		s.Record(Observation{Host: "h", At: t0, Err: u.err})
		st, _ := s.Status("h")
		if st.ErrCause != u.want {
			t.Errorf("%v: cause %d, want %d", u.err, st.ErrCause, u.want)
		}
		if hl := Assess(&st, t0); u.want == CauseNone && hl.Cause != CauseDown {
			t.Errorf("%v: host cause %d, want CauseDown", u.err, hl.Cause)
		}
	}
}

// A state reads back from its name in any case, and is written as its
// name in JSON; a name it does not know is an error, read as UNKNOWN.
func TestState_Text(t *testing.T) {
	for _, s := range AllStates {
		got, err := ParseState(strings.ToLower(s.String()))
		b, _ := json.Marshal(map[string]State{"s": s})
		var back map[string]State
		if err != nil || got != s || string(b) != `{"s":"`+s.String()+`"}` || json.Unmarshal(b, &back) != nil || back["s"] != s {
			t.Errorf("%s: parsed %s %v, JSON %s, read back %v", s, got, err, b, back)
		}
	}
	if s, err := ParseState("PURPLE"); err == nil || s != Unknown {
		t.Errorf("PURPLE: %s %v", s, err)
	}
}
