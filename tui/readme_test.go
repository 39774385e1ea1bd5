package tui

import (
	"flag"
	"os"
	"strings"
	"testing"
)

const (
	keysStart = "<!-- keys:start -->\n"
	keysEnd   = "<!-- keys:end -->"
)

// The README's key table is generated from DefaultKeyMap; this fails when it
// is stale. Refresh it with: go test ./tui -run README -update
func TestREADMEKeyTable(t *testing.T) {
	const path = "../README.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, keysStart), strings.Index(doc, keysEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q … %q markers", strings.TrimSpace(keysStart), keysEnd)
	}
	want := DefaultKeyMap().KeyTable()
	got := doc[i+len(keysStart) : j]
	if got == want {
		return
	}
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		doc = doc[:i+len(keysStart)] + want + doc[j:]
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README key table is stale; run: go test ./tui -run README -update\n--- README\n%s\n--- keymap\n%s", got, want)
}
