package prom

import (
	"encoding/json"
	"strings"
	"testing"
)

// The view's reader reads what Prometheus answers as encoding/json does:
// labels with escapes, numbers as strings, fields in any order; an error
// answer is its error; a cut answer is an error, never a short vector.
func TestReadVector(t *testing.T) {
	answer := `{"status":"success","data":{"resultType":"vector","result":[` +
		`{"metric":{"__name__":"opsdeck_host_state","host":"web-\"1\"\\\\é\u00e9","site":"eu"},"value":[1796604439.123,"2"]},` +
		`{"value":[1796604439.123,"NaN"], "metric":{}},` +
		` {"metric":{"host":"b"},"value":[1,"1e3"],"histogram":{"x":[1,{"y":null}]}}]},"warnings":["w"]}`
	got, err := readVector([]byte(answer), interner{})
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Data struct {
			Result []struct {
				Metric map[string]string
				Value  [2]any
			}
		}
	}
	if err := json.Unmarshal([]byte(answer), &want); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want.Data.Result) {
		t.Fatalf("%d samples, encoding/json reads %d", len(got), len(want.Data.Result))
	}
	for i, w := range want.Data.Result {
		if len(got[i].labels) != len(w.Metric) {
			t.Errorf("sample %d: labels %v, want %v", i, got[i].labels, w.Metric)
		}
		for k, v := range w.Metric {
			if got[i].label(k) != v {
				t.Errorf("sample %d: %s=%q, want %q", i, k, got[i].label(k), v)
			}
		}
		if s := w.Value[1].(string); s != "NaN" && got[i].value != map[string]float64{"2": 2, "1e3": 1000}[s] {
			t.Errorf("sample %d: value %g, want %s", i, got[i].value, s)
		}
	}
	if _, err := readVector([]byte(`{"status":"error","errorType":"bad_data","error":"parse error at char 3"}`), interner{}); err == nil || err.Error() != "parse error at char 3" {
		t.Errorf("an error answer reads as %v", err)
	}
	for cut := 1; cut < len(answer)-1; cut += 7 {
		if _, err := readVector([]byte(answer[:cut]), interner{}); err == nil {
			t.Fatalf("the answer cut at %d read without an error", cut)
		}
	}
	if _, err := readVector([]byte(strings.Replace(answer, `"vector"`, `"matrix"`, 1)), interner{}); err == nil {
		t.Error("a matrix read as a vector")
	}
}
