package pg_test

import (
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions/oncall"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// Two processes on one database share the on-call log; of two that see an
// acknowledgement end, one records it.
func TestOnCall_SharedAndEndedOnce(t *testing.T) {
	_, url := fleettest.StartPostgresDB(t, "opsdeck")
	a, b := open(t, url).OnCall(), open(t, url).OnCall()
	now := time.Now().UTC().Truncate(time.Millisecond)
	ack := &oncall.Ack{ID: "ack-1", Host: "host3", Check: "disk:/var", State: fleet.Crit, Value: 96, Unit: "%", Note: "cleaning", By: "alice@a", At: now}
	if added, err := a.Append(oncall.Record{Op: oncall.OpAck, At: now, By: "alice@a", Ack: ack}); !added || err != nil {
		t.Fatalf("ack: %v %v", added, err)
	}
	rs, err := b.Read(now.Add(-time.Hour))
	if err != nil || len(rs) != 1 || rs[0].Ack == nil || *rs[0].Ack != *ack {
		t.Fatalf("the other reads %+v %v", rs, err)
	}
	end := oncall.Record{Op: oncall.OpUnack, At: now.Add(time.Minute), ID: "ack-1", Why: "the check is OK again"}
	added1, err1 := a.Append(end)
	added2, err2 := b.Append(end)
	if err1 != nil || err2 != nil || added1 == added2 {
		t.Errorf("ended twice: %v %v, %v %v", added1, err1, added2, err2)
	}
	rs, _ = a.Read(now.Add(-time.Hour))
	if o := oncall.Fold(rs); len(rs) != 2 || len(o.Acks()) != 0 {
		t.Errorf("after the end: %d records, %d in force", len(rs), len(o.Acks()))
	}
	if rs, _ := a.Read(now.Add(time.Hour)); len(rs) != 0 {
		t.Errorf("read since later: %d records", len(rs))
	}
}
