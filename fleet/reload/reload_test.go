package reload

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/config"
)

type sampler struct{}

func (sampler) Sample(context.Context) (*fleet.Sample, error) {
	return &fleet.Sample{At: time.Now()}, nil
}

// A reload applies the difference of a valid config; a broken one is
// refused with its file:line and the running fleet stays as it was.
func TestReload_AppliesOrKeeps(t *testing.T) {
	r, write, news := testReloader(t, "[[hosts]]\nname = \"a\"\naddress = \"local\"\n")
	store := r.Store
	added := 0
	r.Added = func() { added++ }

	write("[[hosts]]\nname = \"a\"\naddress = \"local\"\n[[hosts]]\nname = \"b\"\naddress = \"local\"\n")
	r.Reload("test")
	if len(*news) != 1 || (*news)[0].Err != nil || (*news)[0].Summary != "+1 −0 ~0" || added != 1 {
		t.Fatalf("news %+v, added %d", *news, added)
	}
	if _, ok := store.Status("b"); !ok || len(r.Config().Hosts) != 2 {
		t.Errorf("b is not in the store or the config")
	}

	write("[[hosts]]\nname = \"a\"\nport = \"twenty-two\"\n")
	r.Reload("test")
	if len(*news) != 2 || (*news)[1].Err == nil || !strings.Contains((*news)[1].Err.Error(), r.Path+":3:") {
		t.Fatalf("a broken config: %+v", (*news)[len(*news)-1])
	}
	if len(r.Config().Hosts) != 2 {
		t.Errorf("a refused reload changed the running fleet: %d hosts", len(r.Config().Hosts))
	}
	if _, ok := store.Status("b"); !ok {
		t.Error("a refused reload dropped b from the store")
	}
}

// A reload that changes only the maintenance windows is news: the desk
// takes the new windows from it.
func TestReload_WindowsAlone(t *testing.T) {
	hosts := "[[hosts]]\nname = \"a\"\naddress = \"local\"\n"
	r, write, news := testReloader(t, hosts)
	write(hosts + "[[oncall.windows]]\nname = \"db-patching\"\nweekdays = [\"sun\"]\nfrom = \"02:00\"\nuntil = \"04:00\"\n")
	r.Reload("test")
	if len(*news) != 1 || (*news)[0].Err != nil || len((*news)[0].Config.OnCall.Windows) != 1 {
		t.Fatalf("news %+v", *news)
	}
}

// testReloader is a reloader of the config doc written to a file (write
// writes it again), its news kept.
func testReloader(t *testing.T, doc string) (*Reloader, func(string), *[]config.Reloaded) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fleet.toml")
	write := func(doc string) {
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(doc)
	loader := &config.Loader{}
	cfg, err := loader.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	store := fleet.NewStore(cfg.Hosts)
	poller := fleet.NewPoller(cfg, store, func(*fleet.Host) (fleet.Source, string) { return sampler{}, "" })
	t.Cleanup(poller.Close)
	news := &[]config.Reloaded{}
	r := &Reloader{Path: path, Loader: loader, Fleet: cfg, Store: store, Poller: poller,
		Source: func(*fleet.Host) (fleet.Source, string) { return sampler{}, "" },
		Reach:  func(*fleet.Config) ([]string, error) { return nil, nil },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), News: func(n config.Reloaded) { *news = append(*news, n) }}
	return r, write, news
}
