package actions_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet/config"
)

// Host names fold into node sets that expand back to the same names.
func TestFoldNames(t *testing.T) {
	for names, want := range map[string]string{
		"web01 web02 web03 web07 db1": "db1,web[01-03,07]",
		"web1 web2 web10":             "web[1-2,10]",
		"a b web-1":                   "a,b,web-1",
		"host9 host10 host11":         "host[9-11]",
		"web09 web10 web100":          "web100,web[09-10]",
		"web01 web02 web3":            "web3,web[01-02]",
		"r1n01 r1n02 r2n01":           "r1n[01-02],r2n01",
	} {
		if got := actions.FoldNames(strings.Fields(names)); got != want {
			t.Errorf("%s: %q, want %q", names, got, want)
		}
	}
	// Round trip through the config's range expansion.
	var names []string
	for i := 1; i <= 40; i++ {
		if i != 13 {
			names = append(names, fmt.Sprintf("web%02d", i))
		}
	}
	folded := actions.FoldNames(names)
	back, err := config.ExpandRange(folded)
	if err != nil || !reflect.DeepEqual(back, names) {
		t.Errorf("%s expands to %v (%v)", folded, back, err)
	}
}

// Identical runs are one group, the largest first; a differing output, a
// differing exit status or a timeout each stand apart.
func TestGroupOutputs(t *testing.T) {
	ok := []string{"nginx: configuration file /etc/nginx/nginx.conf test is successful"}
	outs := []actions.HostOutput{
		{Host: "web03", Output: ok}, {Host: "web01", Output: ok}, {Host: "web02", Output: ok},
		{Host: "web05", Exit: 1, Output: []string{"nginx: [emerg] unknown directive"}},
		{Host: "web04", Output: ok, Err: "did not finish within 10s"},
		{Host: "web06", Exit: 1, Output: ok},
	}
	gs := actions.GroupOutputs(outs)
	var got []string
	for _, g := range gs {
		got = append(got, fmt.Sprintf("%s exit %d %q", g.Label, g.Exit, g.Err))
	}
	want := []string{`web[01-03] (3) exit 0 ""`, `web04 (1) exit 0 "did not finish within 10s"`, `web05 (1) exit 1 ""`, `web06 (1) exit 1 ""`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groups:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// BenchmarkGroupOutputs groups 5,000 hosts' outputs of 50 lines, in 3
// distinct outputs.
func BenchmarkGroupOutputs(b *testing.B) {
	outs := make([]actions.HostOutput, 5000)
	for i := range outs {
		lines := make([]string, 50)
		for j := range lines {
			lines[j] = fmt.Sprintf("line %d of output %d", j, i%3)
		}
		outs[i] = actions.HostOutput{Host: fmt.Sprintf("web%04d", i), Output: lines}
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if gs := actions.GroupOutputs(outs); len(gs) != 3 {
			b.Fatal(len(gs))
		}
	}
}
