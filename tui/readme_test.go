package tui

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/opsdeck/opsdeck/actions"
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

// The help screen and every footer come from the one table of bindings:
// help lists each row with its keys, and each key a footer offers is a
// row's keys (a footer may word it shorter, never bind something else).
func TestBindings_OneTable(t *testing.T) {
	m, _, _ := serviceModel(t)
	send(m, tea.WindowSizeMsg{Width: 200, Height: 50})
	send(m, keys("?")...)
	help := ansi.Strip(m.View())
	k := m.c.keys
	for _, b := range bindings {
		if want := b.field(k).Help().Key + " " + b.desc; !strings.Contains(strings.Join(strings.Fields(help), " "), want) {
			t.Errorf("help lacks %q:\n%s", want, help)
		}
	}
	send(m, esc)
	rows := map[string]bool{}
	for _, b := range bindings {
		rows[strings.Join(b.field(k).Keys(), "|")] = true
	}
	r, _ := m.table.selected()
	components := []component{
		m.table, newDetailModel(m.c, r.status.Host), newFilterModel(m.c, m.table), newHelpModel(m.c),
		&chooseModel{dialogBase: dialogBase{base{m.c}}}, &confirmModel{dialogBase: dialogBase{base{m.c}}}, &confirmModel{dialogBase: dialogBase{base{m.c}}, want: "web-1"}, &confirmModel{dialogBase: dialogBase{base{m.c}}, down: "DOWN"},
		&auditModel{base: base{m.c}}, newRecordModel(m.c, actions.Entry{}),
	}
	press(m, keys("r")[0].(tea.KeyMsg))
	press(m, keys("y")[0].(tea.KeyMsg))
	o, ok := find[*outputModel](m.c)
	if !ok {
		t.Fatal("no output pane after a confirmed restart")
	}
	for _, x := range append(components, o) {
		for _, b := range x.ShortHelp() {
			if !rows[strings.Join(b.Keys(), "|")] {
				t.Errorf("%T's footer offers %v (%q), which is no row of the table", x, b.Keys(), b.Help().Desc)
			}
		}
	}
	m.footerView() // the globals it adds are rows too
	for _, b := range []key.Binding{k.Help, k.Quit, k.ForceQuit} {
		if !rows[strings.Join(b.Keys(), "|")] {
			t.Errorf("footer global %v is no row", b.Keys())
		}
	}
}
