package report

import (
	"math"
	"testing"
)

func TestPerfItem_Quoting(t *testing.T) {
	if got := perfItem("web-1 disk /srv/it's", 93.456, "%", 80, 90, 0, 100); got != `'web-1 disk /srv/it''s'=93.46%;80;90;0;100` {
		t.Errorf("got %s", got)
	}
	if got := perfItem("hosts ok", 3, "", math.NaN(), math.NaN(), 0, 3); got != `'hosts ok'=3;;;0;3` {
		t.Errorf("got %s", got)
	}
	if got := perfItem("h load1", 0.5, "", 1.5, 3, 0, math.NaN()); got != `'h load1'=0.5;1.5;3;0` {
		t.Errorf("got %s", got)
	}
}
