package pg_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/record/pg"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

func open(t *testing.T, url string) *pg.DB {
	t.Helper()
	db, err := pg.Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// Two dashboards on one database: each sees what the other records within
// its watch interval, and not what it wrote itself.
func TestWatch_SeesTheOthersRecords(t *testing.T) {
	_, url := fleettest.StartPostgresDB(t, "opsdeck")
	maya := open(t, url)
	if err := maya.Audit().Append(actions.Entry{ID: "old", Time: time.Now(), Operator: "maya@x", Host: "db-1", Kind: "restart", Target: "x", Outcome: actions.Succeeded}); err != nil {
		t.Fatal(err)
	}
	tom := open(t, url) // "old" is history to him, not news
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var seen pg.Changes
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tom.Watch(ctx, 100*time.Millisecond, func(c pg.Changes, err error) {
			if err != nil {
				t.Errorf("watch: %v", err)
				return
			}
			mu.Lock()
			seen.Audit = append(seen.Audit, c.Audit...)
			seen.Drills = append(seen.Drills, c.Drills...)
			mu.Unlock()
		})
	}()
	defer func() { cancel(); wg.Wait() }()
	// Both are open: what is written from here on is news to the watch.
	now := time.Now().UTC()
	for _, e := range []actions.Entry{
		{ID: "a1", Time: now, Operator: "maya@x", Host: "db-1", Kind: "restart", Target: "postgres", Outcome: actions.Started},
		{ID: "a1", Time: now, Operator: "maya@x", Host: "db-1", Kind: "restart", Target: "postgres", Outcome: actions.Succeeded},
	} {
		if err := maya.Audit().Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := tom.Audit().Append(actions.Entry{ID: "t1", Time: now, Operator: "tom@y", Host: "db-1", Kind: "snapshot", Target: "pg", Outcome: actions.Succeeded}); err != nil {
		t.Fatal(err)
	}
	if err := maya.Drills().Append(fleet.DrillRecord{Time: now, Host: "db-1", Backup: "pg", Passed: true, Operator: "maya@x"}); err != nil {
		t.Fatal(err)
	}
	fleettest.Eventually(t, 10*time.Second, "tom's watch to see maya's records", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen.Audit) >= 2 && len(seen.Drills) == 1
	})
	mu.Lock()
	for _, e := range seen.Audit {
		if e.ID == "t1" || e.ID == "old" {
			t.Errorf("tom's watch handed him his own record or history: %+v", e)
		}
	}
	mu.Unlock()
	recent, err := tom.Audit().Recent(10)
	if err != nil || len(recent) != 3 || recent[1].ID != "a1" || recent[1].Outcome != actions.Succeeded || recent[2].ID != "t1" {
		t.Errorf("recent: %v %+v (want a1's result replacing its intent, then t1)", err, recent)
	}
}

// A target's advisory lock is held across connections until released.
func TestLocks_OneHolderAtATime(t *testing.T) {
	_, url := fleettest.StartPostgresDB(t, "opsdeck")
	a, b := open(t, url), open(t, url)
	release, err := a.Locks().Lock("db-1", "postgres", "restart", "maya@x")
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Locks().Lock("db-1", "postgres", "restart", "tom@y")
	if !errors.Is(err, actions.ErrBusy) || !strings.Contains(err.Error(), "maya@x") || !strings.Contains(err.Error(), "restarting it since") {
		t.Errorf("second lock: %v, want busy naming maya@x", err)
	}
	other, err := b.Locks().Lock("db-1", "pgbouncer", "restart", "tom@y")
	if err != nil {
		t.Errorf("another target of the host: %v", err)
	} else {
		other()
	}
	release()
	again, err := b.Locks().Lock("db-1", "postgres", "restart", "tom@y")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
}

// A database migrated by a newer opsdeck is refused; the migrations apply
// once however many processes start together.
func TestOpen_Schema(t *testing.T) {
	srv, url := fleettest.StartPostgresDB(t, "opsdeck")
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := pg.Open(context.Background(), url, "")
			if err != nil {
				t.Error(err)
				return
			}
			db.Close()
		}()
	}
	wg.Wait()
	files, _ := filepath.Glob("migrations/*.sql")
	if got := srv.SQL("opsdeck", "SELECT count(DISTINCT version) || ' ' || count(*) FROM opsdeck_schema"); got != fmt.Sprintf("%d %d", len(files), len(files)) {
		t.Errorf("schema versions recorded (distinct, all): %s, want each of the %d migrations once", got, len(files))
	}
	srv.SQL("opsdeck", "INSERT INTO opsdeck_schema (version) VALUES (999)")
	if _, err := pg.Open(context.Background(), url, ""); err == nil || !strings.Contains(err.Error(), "newer than this opsdeck knows") {
		t.Errorf("newer schema: %v", err)
	}
}

// A database an older opsdeck made (schema 1: no beat on the lock notes)
// is migrated on open, its records kept.
func TestOpen_MigratesAnOlderSchema(t *testing.T) {
	srv, url := fleettest.StartPostgresDB(t, "opsdeck")
	first, err := os.ReadFile("migrations/001_record.sql")
	if err != nil {
		t.Fatal(err)
	}
	srv.SQL("opsdeck", string(first))
	srv.SQL("opsdeck", `CREATE TABLE opsdeck_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
		INSERT INTO opsdeck_schema (version) VALUES (1);
		INSERT INTO opsdeck_locks (key, host, target, kind, operator, pid, since) VALUES (7, 'db-1', 'old', 'restart', 'ann@z', 1, now())`)
	db := open(t, url)
	if got := srv.SQL("opsdeck", "SELECT max(version) FROM opsdeck_schema"); got == "1" {
		t.Fatalf("schema still at version %s after open", got)
	}
	if got := srv.SQL("opsdeck", "SELECT operator || ' ' || (beat IS NOT NULL) FROM opsdeck_locks WHERE key = 7"); got != "ann@z true" {
		t.Errorf("the older schema's lock note after the migration: %q", got)
	}
	rel, err := db.Locks().Lock("db-1", "postgres", "restart", "maya@x")
	if err != nil {
		t.Fatalf("lock on the migrated schema: %v", err)
	}
	rel()
}

// Errors name the database without its password, and a password file
// others can read is refused.
func TestOpen_Secrets(t *testing.T) {
	_, err := pg.Open(context.Background(), "postgres://ops:s3cret@127.0.0.1:1/opsdeck?connect_timeout=2", "")
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "postgres://ops@127.0.0.1:1/opsdeck") {
		t.Errorf("unreachable: %v", err)
	}
	pw := t.TempDir() + "/pw"
	if err := writeMode(pw, "s3cret\n", 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = pg.Open(context.Background(), "postgres://ops@127.0.0.1:1/opsdeck", pw)
	if err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Errorf("open password file: %v", err)
	}
}

// A database that goes away is one error, however long it stays away;
// when it answers again the watch says so and goes on.
func TestWatch_DatabaseDownIsOneError(t *testing.T) {
	srv, url := fleettest.StartPostgresDB(t, "opsdeck")
	db := open(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	errs, recovered, said := 0, false, ""
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.Watch(ctx, 50*time.Millisecond, func(c pg.Changes, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs++
				said = err.Error()
			}
			recovered = recovered || c.Recovered
		})
	}()
	defer func() { cancel(); <-done }()
	srv.Stop()
	fleettest.Eventually(t, 20*time.Second, "the watch to report the database gone", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return errs > 0
	})
	srv.Start()
	fleettest.Eventually(t, 30*time.Second, "the watch to report it back", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return recovered
	})
	mu.Lock()
	defer mu.Unlock()
	if errs != 1 {
		t.Errorf("%d errors for one outage, want 1", errs)
	}
	// The cause first (the server's own words here: it was shut down),
	// then which database, for a status line.
	if !strings.HasSuffix(said, " ("+db.Where()+")") || strings.HasPrefix(said, "postgres://") {
		t.Errorf("the outage said %q, want its cause, then (%s)", said, db.Where())
	}
}

// holdersBackends are the server pids holding an advisory lock.
func holdersBackends(srv *fleettest.Postgres) string {
	return srv.SQL("opsdeck", "SELECT string_agg(pid::text, ',') FROM pg_locks WHERE locktype = 'advisory' AND granted")
}

// A holder whose lock's connection is lost while its action goes on still
// holds the target: its note beats through another connection. Once it
// is released the target is free; a holder that died (no more beats)
// frees it a lease after its last beat.
func TestLocks_HeldAcrossALostConnection(t *testing.T) {
	srv, url := fleettest.StartPostgresDB(t, "opsdeck")
	defer func(lease, every time.Duration) { pg.Lease, pg.BeatEvery = lease, every }(pg.Lease, pg.BeatEvery)
	pg.Lease, pg.BeatEvery = 3*time.Second, 200*time.Millisecond
	a, b := open(t, url), open(t, url)
	release, err := a.Locks().Lock("db-1", "postgres", "restart", "maya@x")
	if err != nil {
		t.Fatal(err)
	}
	pids := holdersBackends(srv)
	if pids == "" {
		t.Fatal("no advisory lock granted after Lock")
	}
	srv.SQL("opsdeck", "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted")
	fleettest.Eventually(t, 10*time.Second, "the holder's backend gone", func() bool { return holdersBackends(srv) == "" })
	// Past a whole lease: the beats, not the first note, keep it held.
	deadline := time.Now().Add(2 * pg.Lease)
	for time.Now().Before(deadline) {
		rel, err := b.Locks().Lock("db-1", "postgres", "restart", "tom@y")
		if err == nil {
			rel()
		}
		if !errors.Is(err, actions.ErrBusy) || !strings.Contains(err.Error(), "maya@x") || !strings.Contains(err.Error(), "connection dropped") {
			t.Fatalf("lock while the holder acts with its lock's connection lost: %v", err)
		}
		fleettest.Eventually(t, 5*time.Second, "a beat", func() bool {
			return srv.SQL("opsdeck", "SELECT count(*) FROM opsdeck_locks WHERE beat > now() - interval '500 milliseconds'") == "1"
		})
	}
	release()
	again, err := b.Locks().Lock("db-1", "postgres", "restart", "tom@y")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
	// A holder that died: its lock went with its connection and its
	// beats stopped (its note no longer its own, a lease old). The target
	// is free, and the dead holder's late release leaves the next note.
	c := open(t, url)
	relDead, err := c.Locks().Lock("db-1", "dead", "restart", "ann@z")
	if err != nil {
		t.Fatal(err)
	}
	srv.SQL("opsdeck", "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted")
	fleettest.Eventually(t, 10*time.Second, "the dead holder's backend gone", func() bool { return holdersBackends(srv) == "" })
	srv.SQL("opsdeck", "UPDATE opsdeck_locks SET token = 'no beats', beat = now() - interval '1 hour' WHERE operator = 'ann@z'")
	rel, err := a.Locks().Lock("db-1", "dead", "restart", "maya@x")
	if err != nil {
		t.Fatalf("a note whose last beat is past the lease refused the target: %v", err)
	}
	relDead()
	if n := srv.SQL("opsdeck", "SELECT count(*) FROM opsdeck_locks WHERE operator = 'maya@x'"); n != "1" {
		t.Errorf("maya's note after the dead holder's release: %s rows", n)
	}
	rel()
}
