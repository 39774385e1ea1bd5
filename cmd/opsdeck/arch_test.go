package main

import (
	"os/exec"
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
		"fleet": {deps: []string{mod + "tui", mod + "themes", mod + "actions", mod + "cmd",
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

func goList(t *testing.T, format, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", format, pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}
