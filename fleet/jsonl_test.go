package fleet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// One reader for every JSON-lines file: a damaged or over-long line is
// skipped and counted, never hiding the lines after it (the event log
// reads through it: before, a line over 1 MiB ended its read).
func TestEachJSONLine_SkipsAndCounts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	doc := `{"host":"a","check":"host","to":"DOWN"}` + "\n" +
		`{"host":"` + strings.Repeat("x", MaxJSONLine+10) + `"}` + "\n" +
		"not json\n\n" +
		`{"host":"b","check":"host","to":"OK"}` + "\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	var hosts []string
	skipped, err := EachJSONLine(path, nil, func(e Event) { hosts = append(hosts, e.Host) })
	if err != nil || skipped != 2 || strings.Join(hosts, ",") != "a,b" {
		t.Errorf("hosts %v, skipped %d, err %v: want a,b and 2 skipped", hosts, skipped, err)
	}
	if n, err := EachJSONLine(filepath.Join(t.TempDir(), "none"), nil, func(Event) {}); n != 0 || err != nil {
		t.Errorf("a missing file: %d %v", n, err)
	}
}
