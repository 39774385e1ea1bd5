package prom

import (
	"testing"
	"time"
)

// A poller scraped every 15 s while its hosts are polled every 5 s keeps
// them current for two scrapes and 10 s, from the second judgement seen
// on; one seen once is held to its hosts' own bound.
func TestPace(t *testing.T) {
	v := &View{judged: map[target]time.Time{}, every: map[target]time.Duration{}}
	at := time.Unix(1796600000, 0)
	a, b := target{job: "opsdeck", instance: "a"}, target{job: "opsdeck", instance: "b"}
	v.pace(pollers{a: {judged: at}, b: {judged: at}})
	ps := pollers{a: {judged: at.Add(15 * time.Second)}, b: {judged: at}}
	v.pace(ps)
	if ps[a].within != 40*time.Second || ps[b].within != 0 {
		t.Errorf("within: a %v (want 40s), b %v (want 0: judged once)", ps[a].within, ps[b].within)
	}
	ps = pollers{a: {judged: at.Add(15 * time.Second)}}
	v.pace(ps) // the same judgement read again: the pace holds
	if ps[a].within != 40*time.Second {
		t.Errorf("read again: %v", ps[a].within)
	}
}
