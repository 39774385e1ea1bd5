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
