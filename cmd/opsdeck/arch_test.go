package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportRules enforces the layout of DESIGN.md: arrows point one way
// (tui → actions → fleet, tui → themes); fleet and actions know nothing of
// terminals; tui does no networking or process execution of its own.
func TestImportRules(t *testing.T) {
	const mod = "github.com/opsdeck/opsdeck/"
	rules := map[string]struct {
		deps    []string // forbidden anywhere in the dependency graph
		imports []string // forbidden as direct imports
	}{
		"fleet": {deps: []string{mod + "tui", mod + "themes", mod + "actions", mod + "cmd", mod + "fleet/config",
			"github.com/charmbracelet/bubbletea", "github.com/charmbracelet/bubbles", "github.com/charmbracelet/lipgloss"}},
		"actions": {deps: []string{mod + "tui", mod + "themes", mod + "cmd",
			"github.com/charmbracelet/bubbletea", "github.com/charmbracelet/lipgloss"}},
		"themes": {deps: []string{mod + "fleet", mod + "actions", mod + "tui", mod + "cmd"}},
		"tui":    {deps: []string{mod + "cmd"}, imports: []string{"net", "os/exec"}},
	}
	for pkg, r := range rules {
		deps := goList(t, "{{join .Deps \"\\n\"}}", "../../"+pkg)
		imports := goList(t, "{{join .Imports \"\\n\"}}", "../../"+pkg)
		for _, f := range r.deps {
			for _, d := range deps {
				if d == f || strings.HasPrefix(d, f+"/") {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
		}
		for _, f := range r.imports {
			for _, d := range imports {
				if d == f {
					t.Errorf("%s imports %s", pkg, d)
				}
			}
		}
	}
}

// actions imports nothing of this module but fleet: it knows no screen,
// no theme, no command line.
func TestImportRules_ActionsOnlyFleet(t *testing.T) {
	const mod = "github.com/opsdeck/opsdeck/"
	for _, d := range goList(t, "{{join .Imports \"\\n\"}}", "../../actions") {
		if strings.HasPrefix(d, mod) && d != mod+"fleet" && !strings.HasPrefix(d, mod+"fleet/") {
			t.Errorf("actions imports %s", d)
		}
	}
}

// fleet/config, what the fleet is, imports of this module only fleet's
// types: never the pollers, the transport or anything above.
func TestImportRules_ConfigOnlyFleet(t *testing.T) {
	const mod = "github.com/opsdeck/opsdeck/"
	for _, d := range goList(t, "{{join .Imports \"\\n\"}}", "../../fleet/config") {
		if strings.HasPrefix(d, mod) && d != mod+"fleet" {
			t.Errorf("fleet/config imports %s", d)
		}
	}
}

// No production file is over 400 lines: one concern per file.
func TestLayout_FilesSmall(t *testing.T) {
	for _, glob := range []string{"../../*/*.go", "../../*/*/*.go", "../../*/*/*/*.go"} { // fleet/config, actions/record/pg…
		filesUnder(t, glob, 400)
	}
}

// Files of tui stay about one thing: under 300 lines each (tests aside).
func TestLayout_TUIFilesSmall(t *testing.T) { filesUnder(t, "../../tui/*.go", 299) }

// filesUnder fails on a file of glob (tests aside) over max lines.
func filesUnder(t *testing.T, glob string, max int) {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no files %s: %v", glob, err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(data, []byte("\n")); n > max {
			t.Errorf("%s has %d lines: split it (one concern per file)", f, n)
		}
	}
}

func goList(t *testing.T, format, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", format, pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}
