package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestImportRules enforces the layout of docs/development.md: arrows
// point one way (tui → actions → fleet, tui → themes); fleet and actions
// know nothing of terminals; tui does no networking or process execution
// of its own; the engine's packages (report, notify, on-call, reload)
// know nothing of the screen.
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
		"fleet/report": {deps: []string{mod + "tui", mod + "themes", mod + "actions", mod + "cmd", mod + "fleet/sshx", mod + "fleet/probe",
			"github.com/charmbracelet/bubbletea", "github.com/charmbracelet/lipgloss"}},
		"fleet/reload":   {deps: []string{mod + "tui", mod + "themes", mod + "actions", mod + "cmd", "github.com/charmbracelet/bubbletea"}},
		"actions/notify": {deps: []string{mod + "tui", mod + "themes", mod + "cmd", mod + "actions/record", "github.com/charmbracelet/bubbletea"}},
		"actions/oncall": {deps: []string{mod + "tui", mod + "themes", mod + "cmd", mod + "actions/record", "github.com/charmbracelet/bubbletea"}},
		"actions/record": {deps: []string{mod + "tui", mod + "themes", mod + "cmd", "github.com/charmbracelet/bubbletea"}},
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

// The README is short and the manual is in docs/: each file under its
// limit, every relative link of each resolving to a file.
func TestDocs_ShortAndLinked(t *testing.T) {
	files, _ := filepath.Glob("../../docs/*.md")
	files = append(files, "../../README.md")
	link := regexp.MustCompile(`\]\(([^)#:]+)(#[^)]*)?\)`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		limit := 600
		if filepath.Base(f) == "README.md" {
			limit = 300
		}
		if n := bytes.Count(data, []byte("\n")); n > limit {
			t.Errorf("%s has %d lines: at most %d", f, n, limit)
		}
		for _, m := range link.FindAllStringSubmatch(string(data), -1) {
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), m[1])); err != nil {
				t.Errorf("%s links to %s: %v", f, m[1], err)
			}
		}
	}
	if len(files) < 7 {
		t.Errorf("docs: %v", files)
	}
}

// main holds commands: only the dashboard's wiring (dashboard*.go)
// imports tui; no headless command does.
func TestLayout_OnlyTheDashboardImportsTUI(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fs := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || strings.HasPrefix(f, "dashboard") {
			continue
		}
		af, err := parser.ParseFile(fs, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range af.Imports {
			if strings.Trim(im.Path.Value, `"`) == "github.com/opsdeck/opsdeck/tui" {
				t.Errorf("%s imports tui: only the dashboard's wiring may", f)
			}
		}
	}
}

// No production function is over 70 lines, anywhere; the command package
// holds commands, not the product: at most 2,500 lines.
func TestLayout_FunctionsShort(t *testing.T) {
	fs := token.NewFileSet()
	cmdLines := 0
	filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != "../.." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		af, err := parser.ParseFile(fs, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Dir(path) == filepath.Join("..", "..", "cmd", "opsdeck") {
			cmdLines += fs.Position(af.End()).Line
		}
		for _, decl := range af.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Body != nil {
				if n := fs.Position(fd.End()).Line - fs.Position(fd.Pos()).Line + 1; n > 70 {
					t.Errorf("%s: %s is %d lines: at most 70", path, fd.Name.Name, n)
				}
			}
		}
		return nil
	})
	if cmdLines > 2500 {
		t.Errorf("cmd/opsdeck has %d lines of production code: at most 2,500 (the product belongs in the library packages)", cmdLines)
	}
}
