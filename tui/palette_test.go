package tui

import (
	"context"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/record/files"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/config"
)

const runbookTOML = `
[[hosts]]
name = "web01"
env = "staging"
[[hosts]]
name = "web02"
env = "staging"
[[hosts]]
name = "web03"
env = "staging"
[[hosts]]
name = "web04"
env = "prod"

[[commands]]
name = "disk-use"
kind = "inspect"
command = "df -h -- {host}"
for = ["disk"]
key = "D"

[[commands]]
name = "nginx-test"
kind = "inspect"
command = "nginx -t"
read_only_ok = true

[[commands]]
name = "reload-nginx"
kind = "change"
command = "systemctl reload nginx"
`

// cmdExec records the exact command each host ran; web03 answers
// differently from the others.
type cmdExec struct {
	mu  sync.Mutex
	ran map[string]string
}

func (e *cmdExec) Exec(_ context.Context, h *fleet.Host, cmd string, out io.Writer) (int, error) {
	e.mu.Lock()
	e.ran[h.Name] = cmd
	e.mu.Unlock()
	if h.Name == "web03" {
		io.WriteString(out, "/dev/sda1 99%\n")
		return 1, nil
	}
	io.WriteString(out, "/dev/sda1 40%\n")
	return 0, nil
}

func (e *cmdExec) hosts() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for h := range e.ran {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

func runbookModel(t *testing.T, readOnly bool) (*Model, *cmdExec, *actions.Manager) {
	t.Helper()
	c, err := config.Parse("t.toml", []byte(runbookTOML))
	if err != nil {
		t.Fatal(err)
	}
	k := DefaultKeyMap()
	if errs := k.BindCommands(c); len(errs) > 0 {
		t.Fatal(errs[0])
	}
	ex := &cmdExec{ran: map[string]string{}}
	mgr := &actions.Manager{Exec: ex, Audit: &files.Audit{Path: filepath.Join(t.TempDir(), "audit.jsonl")}, ReadOnly: readOnly, Operator: "t@x"}
	t.Cleanup(mgr.Wait)
	m := New(Options{Config: c, Store: fleet.NewStore(c.Hosts), Styles: asciiStyles(t), Keys: k, Actions: mgr, ReadOnly: readOnly,
		Now: func() time.Time { return now }})
	send(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	return m, ex, mgr
}

func typeText(m *Model, s string) {
	for _, k := range keys(s) {
		press(m, k.(tea.KeyMsg))
	}
}

// The palette narrows as you type and runs the command of the config it
// picked on every selected host, at once; the outputs are grouped. What
// was typed never reaches a host: a shell line typed there matches no
// command and enter runs nothing.
func TestPalette_FiltersRunsAndGroups(t *testing.T) {
	m, ex, mgr := runbookModel(t, false)
	typeText(m, "    ") // select the four hosts
	press(m, keys("!")[0].(tea.KeyMsg))
	v := m.View()
	for _, want := range []string{"Run a command on web[01-04] (4)", "disk-use", "nginx-test", "reload-nginx"} {
		if !strings.Contains(v, want) {
			t.Fatalf("palette lacks %q:\n%s", want, v)
		}
	}
	typeText(m, "; rm -rf /tmp/x")
	press(m, enter)
	if v := m.View(); !strings.Contains(v, "no command matches") || len(ex.hosts()) != 0 {
		t.Fatalf("a typed line ran on %v:\n%s", ex.hosts(), v)
	}
	for range len("; rm -rf /tmp/x") {
		press(m, tea.KeyMsg{Type: tea.KeyBackspace})
	}
	typeText(m, "dsk")
	v = m.View()
	if !strings.Contains(v, "disk-use") || strings.Contains(v, "nginx-test") || strings.Contains(v, "reload-nginx") {
		t.Fatalf("dsk does not narrow to disk-use:\n%s", v)
	}
	press(m, enter)
	settle(m, mgr)
	if got := strings.Join(ex.hosts(), " "); got != "web01 web02 web03 web04" {
		t.Fatalf("ran on %q", got)
	}
	if ex.ran["web02"] != "df -h -- 'web02'" {
		t.Errorf("web02 ran %q", ex.ran["web02"])
	}
	v = m.View()
	for _, want := range []string{"run disk-use on web[01-04] (4)", "4 of 4 done", "─ web[01-02,04] (3) · exit 0", "/dev/sda1 40%", "─ web03 (1) · exit 1", "/dev/sda1 99%"} {
		if !strings.Contains(v, want) {
			t.Errorf("output pane lacks %q:\n%s", want, v)
		}
	}
	es, _ := mgr.Audit.Recent(20)
	if len(es) != 4 {
		t.Errorf("%d audit records, want one result per host: %+v", len(es), es)
	}
}

// A change command on a prod host asks for its name typed, and runs
// nothing without it.
func TestPalette_ChangeOnProdIsConfirmed(t *testing.T) {
	m, ex, mgr := runbookModel(t, false)
	typeText(m, "/web04")
	press(m, enter)
	press(m, keys("!")[0].(tea.KeyMsg))
	typeText(m, "reload")
	press(m, enter)
	v := m.View()
	if !strings.Contains(v, "Run reload-nginx on web04?") || !strings.Contains(v, "Type web04 to confirm") {
		t.Fatalf("no typed confirmation:\n%s", v)
	}
	press(m, enter) // nothing typed
	press(m, esc)
	mgr.Wait()
	if len(ex.hosts()) != 0 {
		t.Fatalf("ran on %v without the name typed", ex.hosts())
	}
	if es, _ := mgr.Audit.Recent(5); len(es) != 1 || es[0].Outcome != actions.Cancelled {
		t.Errorf("audit %+v", es)
	}
}

// A command's own key runs it on the host under the cursor.
func TestPalette_DirectKey(t *testing.T) {
	m, ex, mgr := runbookModel(t, false)
	press(m, keys("D")[0].(tea.KeyMsg))
	settle(m, mgr)
	if got := ex.hosts(); len(got) != 1 {
		t.Fatalf("D ran on %v, want the one host under the cursor", got)
	}
	if !strings.Contains(m.View(), "run disk-use on") {
		t.Errorf("no output pane:\n%s", m.View())
	}
}

// Read-only mode runs only an inspect command the config allows there.
func TestPalette_ReadOnly(t *testing.T) {
	m, ex, mgr := runbookModel(t, true)
	press(m, keys("!")[0].(tea.KeyMsg))
	if v := m.View(); !strings.Contains(v, "off: read-only") {
		t.Fatalf("the palette does not say which are off:\n%s", v)
	}
	typeText(m, "disk")
	press(m, enter)
	if v := m.View(); !strings.Contains(v, "disk-use is disabled: read-only mode") || len(ex.hosts()) != 0 {
		t.Fatalf("disk-use in read-only mode ran on %v:\n%s", ex.hosts(), v)
	}
	press(m, keys("!")[0].(tea.KeyMsg))
	typeText(m, "nginx-t")
	press(m, enter)
	settle(m, mgr)
	if len(ex.hosts()) != 1 {
		t.Errorf("nginx-test (read_only_ok) ran on %v", ex.hosts())
	}
}

// A problem whose check a command is for offers it in its remedy, with
// its key.
func TestRemedy_OffersRunbookCommand(t *testing.T) {
	cfg, err := config.Parse("t.toml", []byte(runbookTOML))
	if err != nil {
		t.Fatal(err)
	}
	k := DefaultKeyMap()
	st := fleet.HostStatus{Host: &cfg.Hosts[0], Last: sample(now, 97)}
	row := &hostRow{status: st, health: fleet.Assess(&st, now)}
	var disk fleet.Check
	for _, p := range hostProblems(row) {
		if p.Key() == "disk:/var" {
			disk = p
		}
	}
	got := remedy(&common{keys: &k}, &st, disk)
	if !strings.Contains(got, "du -xh") || !strings.Contains(got, "→ ! disk-use (or D)") || strings.Contains(got, "nginx-test") {
		t.Errorf("remedy of a full disk: %q", got)
	}
}

// A command's key that the dashboard uses, or that another command has,
// is refused at its path.
func TestBindCommands_Conflicts(t *testing.T) {
	cfg, err := config.Parse("t.toml", []byte(runbookTOML+`
[[commands]]
name = "top"
kind = "inspect"
command = "top -bn1"
key = "r"
[[commands]]
name = "df2"
kind = "inspect"
command = "df -i"
key = "D"
`))
	if err != nil {
		t.Fatal(err)
	}
	k := DefaultKeyMap()
	errs := k.BindCommands(cfg)
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Command+": "+e.Msg)
	}
	got := strings.Join(msgs, "\n")
	if len(errs) != 2 || !strings.Contains(got, `top: key "r" is the dashboard's "restart service"`) ||
		!strings.Contains(got, `df2: key "D" already runs the command "disk-use"`) {
		t.Errorf("conflicts:\n%s", got)
	}
	if name, ok := k.commandFor("D"); !ok || name != "disk-use" {
		t.Errorf("D runs %q", name)
	}
}

type startedExec struct{ started chan struct{} }

func (b startedExec) Exec(ctx context.Context, _ *fleet.Host, _ string, _ io.Writer) (int, error) {
	b.started <- struct{}{}
	<-ctx.Done()
	return 0, ctx.Err()
}

// x cancels a run pressed right after it started, before any tick has
// counted it.
func TestCancel_BeforeTheTick(t *testing.T) {
	m, _, mgr := runbookModel(t, false)
	ex := startedExec{started: make(chan struct{}, 4)}
	mgr.Exec = ex
	press(m, keys("D")[0].(tea.KeyMsg))
	<-ex.started
	press(m, keys("x")[0].(tea.KeyMsg))
	mgr.Wait()
	runs := mgr.Runs()
	if len(runs) != 1 || runs[0].Results()[0].Outcome != actions.Cancelled {
		t.Errorf("x before a tick: %+v", runs[0].Results())
	}
}
