package report

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The exit-code scale is one table: every state has a code, STALE is
// UNKNOWN (nothing is known of the host now), and the help text says the
// same as Exit.
func TestExit_OneScale(t *testing.T) {
	want := map[fleet.State]int{fleet.OK: 0, fleet.Warn: 1, fleet.Crit: 2, fleet.Down: 2, fleet.Slow: 2, fleet.HostKey: 2,
		fleet.Unknown: 3, fleet.Stale: 3, fleet.Unreachable: 3}
	for _, s := range fleet.AllStates {
		w, ok := want[s]
		if !ok {
			t.Errorf("%s: no code expected: add it to the test and the scale", s)
		}
		if got := Exit(s); got != w {
			t.Errorf("Exit(%s) = %d, want %d", s, got, w)
		}
	}
	text := ScaleText()
	for _, part := range strings.Split(text, ", ") {
		t.Log(part)
	}
	for _, s := range fleet.AllStates {
		// "2 CRIT, DOWN, SLOW or HOSTKEY": each state's name after its code.
		i := strings.Index(text, s.String())
		j := strings.LastIndex(text[:i], string(rune('0'+Exit(s)))+" ")
		if i < 0 || j < 0 || strings.ContainsAny(text[j+2:i], "0123") {
			t.Errorf("%q does not say %s is %d", text, s, Exit(s))
		}
	}
	if StatusWord(ExitCrit) != "CRITICAL" || StatusWord(ExitUnknown) != "UNKNOWN" {
		t.Error("status words")
	}
}

func sampleReport() Report {
	return Report{Time: time.Unix(1, 0), Worst: fleet.Crit, Hosts: []HostReport{
		{Name: "web-1", State: fleet.Crit, Reason: "disk /var 97%", Findings: []Finding{
			{Check: "disk /var", Key: "disk:/var", Kind: fleet.KindDisk, Subject: "/var", Cause: fleet.CauseOver, State: fleet.Crit, Reason: "97% ≥ 90%"},
			{Check: "cpu", Key: "cpu", Kind: fleet.KindCPU, State: fleet.OK},
		}},
		{Name: "web-2", State: fleet.OK, Findings: []Finding{}},
	}}
}

// Rewording a check changes no label and no series: the exposition is
// keyed by the check's key and kind, never its words.
func TestMetrics_KeyedNotWorded(t *testing.T) {
	a := sampleReport()
	b := sampleReport()
	b.Hosts[0].Findings[0].Check = "space on /var"
	b.Hosts[0].Findings[0].Reason = "reworded: 97 percent"
	at := time.Unix(100, 0)
	ma, mb := Metrics(a, nil, at), Metrics(b, nil, at)
	if ma != mb {
		t.Errorf("reworded check changed the metrics:\n%s\n---\n%s", ma, mb)
	}
	if !strings.Contains(ma, `opsdeck_check_state{host="web-1",check="disk:/var",kind="disk"} 2`) {
		t.Errorf("metrics:\n%s", ma)
	}
	if strings.Contains(ma, "disk /var") {
		t.Errorf("free text in a label:\n%s", ma)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	if _, err := p.TextToMetricFamilies(strings.NewReader(ma)); err != nil {
		t.Errorf("does not parse: %v", err)
	}
}

// An inventory that fails makes the report UNKNOWN at best, says so in
// every format: the Nagios status word, and opsdeck_inventory_up 0.
func TestReport_FailingInventory(t *testing.T) {
	cfg := &fleet.Config{Notes: []string{"inventory galera: exit status 1; none of its hosts are watched until it answers"},
		InventoryErrs: map[string]string{"galera": "exit status 1", "web": ""}}
	rep := Report{Worst: fleet.OK, Hosts: []HostReport{}}
	rep.Loaded(cfg)
	if rep.Exit() != ExitUnknown {
		t.Errorf("exit %d with a failing inventory, want 3", rep.Exit())
	}
	var out bytes.Buffer
	WriteNagios(&out, rep, nil)
	if !strings.HasPrefix(out.String(), "OPSDECK UNKNOWN - 0 host(s); inventory galera: ") {
		t.Errorf("nagios: %s", out.String())
	}
	m := Metrics(rep, nil, time.Unix(1, 0))
	if !strings.Contains(m, `opsdeck_inventory_up{inventory="galera"} 0`) || !strings.Contains(m, `opsdeck_inventory_up{inventory="web"} 1`) {
		t.Errorf("metrics:\n%s", m)
	}
	// A CRIT fleet stays CRIT: the plugin convention ranks it first.
	rep.Worst = fleet.Crit
	if rep.Exit() != ExitCrit {
		t.Errorf("exit %d, want 2", rep.Exit())
	}
}

// The JSON report names each finding's key, kind, subject and cause.
func TestReport_JSON(t *testing.T) {
	var out bytes.Buffer
	if err := WriteJSON(&out, sampleReport()); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"key": "disk:/var"`, `"kind": "disk"`, `"subject": "/var"`, `"cause": "over"`, `"state": "CRIT"`} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("no %s in\n%s", w, out.String())
		}
	}
}

// Failing keeps what is not OK.
func TestReport_Failing(t *testing.T) {
	f := sampleReport().Failing()
	if len(f.Hosts) != 2 || len(f.Hosts[0].Findings) != 1 || f.Hosts[0].Findings[0].Key != "disk:/var" || len(f.Hosts[1].Findings) != 0 {
		t.Errorf("%+v", f)
	}
}

// The docs say the scale the code has: one table, said the same
// everywhere.
func TestExit_ScaleInTheDocs(t *testing.T) {
	b, err := os.ReadFile("../../docs/check-and-metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok1 := strings.Cut(string(b), "<!-- scale:start -->\n")
	got, _, ok2 := strings.Cut(rest, "\n<!-- scale:end -->")
	if !ok1 || !ok2 || got != ScaleText() {
		t.Errorf("docs/check-and-metrics.md says the scale is %q; the code says %q", got, ScaleText())
	}
}

// A filling mount exports when it is full, in seconds; a mount that is
// not filling, or with too little history, exports nothing, never a
// made-up figure.
func TestPoints_DiskFullSeconds(t *testing.T) {
	hosts := []fleet.Host{
		{Name: "filling", Limits: fleet.DefaultLimits, PollInterval: fleet.Duration{Duration: time.Minute}},
		{Name: "flat", Limits: fleet.DefaultLimits, PollInterval: fleet.Duration{Duration: time.Minute}},
	}
	store := fleet.NewStore(hosts)
	t0 := time.Now().Add(-12 * time.Hour)
	disk := func(share float64) fleet.Disk {
		used := uint64(share * (16 << 30))
		return fleet.Disk{Mount: "/var", Total: 16 << 30, Used: used, Free: 16<<30 - used}
	}
	var at time.Time
	for m := time.Duration(0); m <= 12*time.Hour; m += time.Minute {
		at = t0.Add(m)
		store.Record(fleet.Observation{Host: "filling", At: at, Sample: &fleet.Sample{At: at, Disks: []fleet.Disk{disk(0.30 + 0.03*m.Hours())}}})
		store.Record(fleet.Observation{Host: "flat", At: at, Sample: &fleet.Sample{At: at, Disks: []fleet.Disk{disk(0.5)}}})
	}
	var got []Point
	for _, p := range Points(store, at) {
		if p.Metric == "opsdeck_disk_full_seconds" {
			got = append(got, p)
		}
	}
	if len(got) != 1 || got[0].Host != "filling" || got[0].LabelValue != "/var" || got[0].Value < 10*3600 || got[0].Value > 12*3600 {
		t.Fatalf("full-in points: %+v", got)
	}
	m := Metrics(Report{}, got, at)
	if !strings.Contains(m, `opsdeck_disk_full_seconds{host="filling",mount="/var"} `) || !strings.Contains(m, "# HELP opsdeck_disk_full_seconds Seconds until") {
		t.Errorf("metrics:\n%s", m)
	}
}

// The JSON report carries the figures, a threshold they have none of left
// out (JSON has no NaN).
func TestReport_JSONFigures(t *testing.T) {
	rep := sampleReport()
	rep.Figures = []Point{{Host: "web-1", Name: "disk /var full in", Metric: "opsdeck_disk_full_seconds", Label: "mount", LabelValue: "/var",
		Value: 18000, Unit: "s", Warn: none, Crit: none, Min: 0, Max: none}}
	var out bytes.Buffer
	if err := WriteJSON(&out, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"metric": "opsdeck_disk_full_seconds"`) || !strings.Contains(out.String(), `"mount": "/var"`) ||
		strings.Contains(out.String(), `"warn"`) {
		t.Errorf("json:\n%s", out.String())
	}
}
