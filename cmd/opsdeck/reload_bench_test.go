package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/config"
	"github.com/opsdeck/opsdeck/fleet/probe"
	"github.com/opsdeck/opsdeck/fleet/reload"
)

// BenchmarkReload reloads a 5,000-host fleet (20 roles, 50 ranges of 100)
// with one host changed (its port: it reconnects), through the
// dashboard's reloader: load, validation, diff, targets, store and
// poller. No other host's client may change.
func BenchmarkReload(b *testing.B) {
	var base strings.Builder
	base.WriteString("[defaults]\nuser = \"ops\"\nssh_config = \"/dev/null\"\n")
	for r := 0; r < 20; r++ {
		fmt.Fprintf(&base, "[roles.r%02d]\ntags = [\"t%02d\"]\n[[roles.r%02d.services]]\nname = \"app%02d\"\nkind = \"supervisor\"\nprogram = \"app\"\n", r, r, r, r)
	}
	for g := 0; g < 50; g++ {
		fmt.Fprintf(&base, "[[hosts]]\nname = \"g%02dn[001-100]\"\naddress = \"10.1.%d.[1-100]\"\nroles = [\"r%02d\"]\n", g, g, g%20)
	}
	path := filepath.Join(b.TempDir(), "fleet.toml")
	write := func(port int) {
		doc := strings.Replace(base.String(), "[[hosts]]\nname = \"g00n[001-100]\"", fmt.Sprintf("[[hosts]]\nname = \"solo\"\naddress = \"10.9.9.9\"\nport = %d\n[[hosts]]\nname = \"g00n[001-100]\"", port), 1)
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	write(22)
	loader := &config.Loader{}
	cfg, err := loader.Load(path)
	if err != nil || len(cfg.Hosts) != 5001 {
		b.Fatalf("%v, %d hosts", err, len(cfg.Hosts))
	}
	conn, err := probe.Connect(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	store := fleet.NewStore(cfg.Hosts)
	poller := fleet.NewPoller(cfg, store, conn.Source)
	defer poller.Close()
	r := &reload.Reloader{Path: path, Loader: loader, Fleet: cfg, Store: store, Poller: poller, Source: conn.Source, Check: checkKeys,
		Reach: conn.Apply, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var summary string
	r.News = func(m config.Reloaded) { summary = m.Summary }
	sample := []string{"g00n001", "g25n050", "g49n100"}
	before := map[string]any{}
	for _, h := range sample {
		before[h] = conn.Client(hostNamed(cfg, h))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		write(2200 + i%2)
		b.StartTimer()
		r.Reload("bench")
		if summary != "+0 −0 ~1" {
			b.Fatalf("reload %d: %q, want one host changed", i, summary)
		}
	}
	b.StopTimer()
	for _, h := range sample {
		if conn.Client(hostNamed(r.Config(), h)) != before[h] {
			b.Errorf("%s's client changed: a reload of another host touched its connection", h)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/reload")
}

func hostNamed(c *fleet.Config, name string) *fleet.Host {
	for i := range c.Hosts {
		if c.Hosts[i].Name == name {
			return &c.Hosts[i]
		}
	}
	return nil
}
