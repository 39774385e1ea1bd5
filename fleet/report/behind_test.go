package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Hosts behind a DOWN bastion are marked unreachable in every format: the
// JSON names the host they are behind, Nagios counts them apart and names
// the bastion only, the exposition has opsdeck_unreachable; the exit
// status is the bastion's.
func TestReport_UnreachableInEveryFormat(t *testing.T) {
	hosts := []fleet.Host{{Name: "bastion"}, {Name: "web1", Jump: "bastion"}, {Name: "web2", Jump: "bastion"}}
	for i := range hosts {
		hosts[i].Limits = fleet.DefaultLimits
	}
	store := fleet.NewStore(hosts)
	now := time.Now()
	store.Record(fleet.Observation{Host: "bastion", At: now, Err: errors.New("timeout: no answer")})
	rep := Judged(store, false, func(*fleet.HostStatus) time.Time { return now })
	if rep.Exit() != ExitCrit || rep.Worst != fleet.Down {
		t.Errorf("exit %d, worst %s: want the bastion's CRITICAL", rep.Exit(), rep.Worst)
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if h := back.Hosts[1]; h.State != fleet.Unreachable || h.Behind != "bastion" || h.Findings[0].Cause != fleet.CauseUnreachable {
		t.Errorf("JSON of web1: %+v", h)
	}
	var nag bytes.Buffer
	WriteNagios(&nag, rep, nil)
	first, _, _ := strings.Cut(nag.String(), "\n")
	if !strings.Contains(first, "OPSDECK CRITICAL - 3 host(s), 2 UNREACHABLE, 1 DOWN: bastion |") || !strings.Contains(first, "'hosts unreachable'=2;") {
		t.Errorf("Nagios: %s", first)
	}
	m := Metrics(rep, nil, now)
	if !strings.Contains(m, `opsdeck_unreachable{host="web2",behind="bastion"} 1`) || !strings.Contains(m, `opsdeck_host_state{host="web2"} 3`) {
		t.Errorf("metrics:\n%s", m)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	if _, err := p.TextToMetricFamilies(strings.NewReader(m)); err != nil {
		t.Errorf("does not parse: %v", err)
	}
}

// The exposition says when each host answered, how long its poll took,
// and the cause of each failing check: what a reader needs to tell old
// data from current and to say the reason.
func TestMetrics_AnsweredAndCause(t *testing.T) {
	hosts := []fleet.Host{{Name: "web1"}, {Name: "db1", Services: []fleet.Service{{Name: "pg"}, {Name: "exporter"}},
		Backups: []fleet.Backup{{Name: "nightly"}}}, {Name: "new"}}
	for i := range hosts {
		hosts[i].Limits = fleet.DefaultLimits
	}
	store := fleet.NewStore(hosts)
	at := time.Unix(1_796_600_000, 0)
	store.Record(fleet.Observation{Host: "web1", At: at, RTT: 250 * time.Millisecond, Err: errors.New("refused")})
	smp := &fleet.Sample{At: at.Add(-time.Second), CPU: 5, MemTotal: 100, MemUsed: 10, Cores: 2,
		Disks:    []fleet.Disk{{Mount: "/var", Used: 97, Free: 3, Total: 100}},
		Services: []fleet.ServiceStatus{{Name: "pg", Running: true}, {Name: "exporter"}},
		Backups:  []fleet.BackupStatus{{Name: "nightly", NewestAt: at.Add(-time.Hour), Size: 2048}},
		Certs:    []fleet.CertStatus{{Endpoint: "db1:5432", NotAfter: at.Add(48 * time.Hour)}}}
	store.Record(fleet.Observation{Host: "db1", At: smp.At, RTT: 40 * time.Millisecond, Sample: smp})
	store.RecordDrill(fleet.DrillRecord{Host: "db1", Backup: "nightly", Time: at.Add(-24 * time.Hour), Passed: true, DrillID: "d1"})
	rep := Judged(store, false, func(*fleet.HostStatus) time.Time { return at })
	m := Metrics(rep, Points(store, at), at)
	for _, want := range []string{
		`opsdeck_disk_used_percent{host="db1",mount="/var"} 97`,
		`opsdeck_threshold{host="db1",metric="opsdeck_disk_used_percent",mount="/var",level="crit"} 90`,
		`opsdeck_host_answered_timestamp_seconds{host="web1"} 1796600000`,
		`opsdeck_host_answered_timestamp_seconds{host="db1"} 1796599999`,
		`opsdeck_host_poll_duration_seconds{host="web1"} 0.25`,
		`opsdeck_check_cause{host="web1",check="host",kind="host",cause="down"} 2`,
		`opsdeck_check_cause{host="db1",check="disk:/var",kind="disk",cause="over"} 2`,
		`opsdeck_services_running{host="db1"} 1`,
		`opsdeck_services_configured{host="db1"} 2`,
		`opsdeck_backup_size_bytes{host="db1",backup="nightly"} 2048`,
		`opsdeck_drill_age_seconds{host="db1",backup="nightly"} 86400`,
		`opsdeck_drill_passed{host="db1",backup="nightly"} 1`,
		`opsdeck_cert_expiry_seconds{host="db1",endpoint="db1:5432"} 172800`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("lacks %s:\n%s", want, m)
		}
	}
	var nag bytes.Buffer
	WriteNagios(&nag, rep, Points(store, at))
	if strings.Contains(nag.String(), "services") || strings.Contains(nag.String(), "drill") || !strings.Contains(nag.String(), "'db1 disk /var'=97%;") {
		t.Errorf("Nagios perfdata are the judged figures only:\n%s", nag.String())
	}
	if strings.Contains(m, `host_answered_timestamp_seconds{host="new"}`) {
		t.Error("a host never polled has an answer time")
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	if _, err := p.TextToMetricFamilies(strings.NewReader(m)); err != nil {
		t.Errorf("does not parse: %v", err)
	}
}
