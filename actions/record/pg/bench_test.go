package pg_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions/record/files"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/record/pg"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

// The record's costs, files against PostgreSQL on loopback with fsync on
// (as in production): an audit record's commit (what an action waits for
// before it runs), a storm of 1,000 hosts changing state at once, the
// watch's look every poll interval, and the dashboard's start reading
// 10,000 drills. "server-ms/op" is the CPU the PostgreSQL processes used.

func durableDB(b *testing.B) (*fleettest.Postgres, *pg.DB) {
	srv := fleettest.StartDurablePostgres(b)
	srv.SQL("postgres", "CREATE DATABASE opsdeck")
	db, err := pg.Open(context.Background(), srv.URL("opsdeck"), "")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	return srv, db
}

func entry(i int) actions.Entry {
	return actions.Entry{ID: fmt.Sprintf("b-%d", i), Time: time.Now(), Operator: "maya@x", Host: fmt.Sprintf("h%04d", i%1000),
		Kind: "restart", Target: "app", Command: "supervisorctl restart app", Outcome: actions.Started}
}

func serverCPU(b *testing.B, srv *fleettest.Postgres, fn func()) {
	before := fleettest.TreeCPU(srv.PID())
	b.ResetTimer()
	fn()
	b.StopTimer()
	b.ReportMetric(float64(fleettest.TreeCPU(srv.PID())-before)/float64(time.Millisecond)/float64(b.N), "server-ms/op")
}

func BenchmarkAuditAppend(b *testing.B) {
	b.Run("files", func(b *testing.B) {
		a := &files.Audit{Path: filepath.Join(b.TempDir(), "audit.jsonl")}
		for i := 0; i < b.N; i++ {
			if err := a.Append(entry(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("postgres", func(b *testing.B) {
		srv, db := durableDB(b)
		a := db.Audit()
		serverCPU(b, srv, func() {
			for i := 0; i < b.N; i++ {
				if err := a.Append(entry(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func storm(n int) []fleet.Event {
	es := make([]fleet.Event, n)
	now := time.Now()
	for i := range es {
		es[i] = fleet.Event{Time: now, Host: fmt.Sprintf("h%04d", i), Check: "host", From: "OK", To: "DOWN", Reason: "timeout: no SSH handshake"}
	}
	return es
}

func BenchmarkEventStorm1000(b *testing.B) {
	b.Run("files", func(b *testing.B) {
		l := &files.EventLog{Path: filepath.Join(b.TempDir(), "events.jsonl")}
		for i := 0; i < b.N; i++ {
			if err := l.Append(storm(1000)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("postgres", func(b *testing.B) {
		srv, db := durableDB(b)
		l := db.Events()
		serverCPU(b, srv, func() {
			for i := 0; i < b.N; i++ {
				es := storm(1000)
				for j := range es {
					es[j].Time = es[j].Time.Add(time.Duration(i) * time.Millisecond) // distinct events
				}
				if err := l.Append(es); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkWatchLook is what each dashboard asks the database every poll
// interval when nobody else acted: two indexed range reads.
func BenchmarkWatchLook(b *testing.B) {
	srv, first := durableDB(b)
	for i := 0; i < 1000; i++ {
		first.Audit().Append(entry(i))
	}
	db, err := pg.Open(context.Background(), srv.URL("opsdeck"), "") // opened after: the 1,000 are history
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	serverCPU(b, srv, func() {
		for i := 0; i < b.N; i++ {
			if _, err := db.LookOnce(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDrillsLoad10k(b *testing.B) {
	recs := make([]fleet.DrillRecord, 10000)
	for i := range recs {
		recs[i] = fleet.DrillRecord{Time: time.Now().Add(time.Duration(i) * time.Second), Host: fmt.Sprintf("h%04d", i%1000), Backup: "pg",
			Passed: true, Duration: time.Minute, Artifact: "/backups/pg-1.dump", Operator: "cron@x", Output: []string{"restored 1.2 GB", "verify ok"}}
	}
	b.Run("files", func(b *testing.B) {
		l := &files.DrillLog{Path: filepath.Join(b.TempDir(), "drills.jsonl")}
		for _, r := range recs {
			l.Append(r)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			n := 0
			if err := l.Each(func(fleet.DrillRecord) { n++ }); err != nil || n != len(recs) {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("postgres", func(b *testing.B) {
		srv, db := durableDB(b)
		if _, err := db.Import(context.Background(), pg.Records{Drills: recs}); err != nil {
			b.Fatal(err)
		}
		serverCPU(b, srv, func() {
			for i := 0; i < b.N; i++ {
				n := 0
				if err := db.Drills().Each(func(fleet.DrillRecord) { n++ }); err != nil || n != len(recs) {
					b.Fatal(n, err)
				}
			}
		})
	})
}
