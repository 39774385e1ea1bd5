package pgstate_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/actions/pgstate"
	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/fleettest"
)

func open(t *testing.T, url string) *pgstate.DB {
	t.Helper()
	db, err := pgstate.Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

func startDB(t *testing.T) (*fleettest.Postgres, string) {
	pg := fleettest.StartPostgres(t)
	pg.SQL("postgres", "CREATE DATABASE opsdeck")
	return pg, pg.URL("opsdeck")
}

// Two dashboards on one database: each sees what the other records within
// its watch interval, and not what it wrote itself.
func TestWatch_SeesTheOthersRecords(t *testing.T) {
	_, url := startDB(t)
	maya := open(t, url)
	if err := maya.Audit().Append(actions.Entry{ID: "old", Time: time.Now(), Operator: "maya@x", Host: "db-1", Kind: "restart", Target: "x", Outcome: actions.Succeeded}); err != nil {
		t.Fatal(err)
	}
	tom := open(t, url) // "old" is history to him, not news
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var seen pgstate.Changes
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tom.Watch(ctx, 100*time.Millisecond, func(c pgstate.Changes, err error) {
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
	_, url := startDB(t)
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
	pg, url := startDB(t)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := pgstate.Open(context.Background(), url, "")
			if err != nil {
				t.Error(err)
				return
			}
			db.Close()
		}()
	}
	wg.Wait()
	if got := pg.SQL("opsdeck", "SELECT count(*) FROM opsdeck_schema"); got != "1" {
		t.Errorf("schema versions recorded: %s", got)
	}
	pg.SQL("opsdeck", "INSERT INTO opsdeck_schema (version) VALUES (999)")
	if _, err := pgstate.Open(context.Background(), url, ""); err == nil || !strings.Contains(err.Error(), "newer than this opsdeck knows") {
		t.Errorf("newer schema: %v", err)
	}
}

// Errors name the database without its password, and a password file
// others can read is refused.
func TestOpen_Secrets(t *testing.T) {
	_, err := pgstate.Open(context.Background(), "postgres://ops:s3cret@127.0.0.1:1/opsdeck?connect_timeout=2", "")
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "postgres://ops@127.0.0.1:1/opsdeck") {
		t.Errorf("unreachable: %v", err)
	}
	pw := t.TempDir() + "/pw"
	if err := writeMode(pw, "s3cret\n", 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = pgstate.Open(context.Background(), "postgres://ops@127.0.0.1:1/opsdeck", pw)
	if err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Errorf("open password file: %v", err)
	}
}

// A database that goes away is one error, however long it stays away;
// when it answers again the watch says so and goes on.
func TestWatch_DatabaseDownIsOneError(t *testing.T) {
	pg, url := startDB(t)
	db := open(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	errs, recovered := 0, false
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.Watch(ctx, 50*time.Millisecond, func(c pgstate.Changes, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs++
			}
			recovered = recovered || c.Recovered
		})
	}()
	defer func() { cancel(); <-done }()
	pg.Stop()
	fleettest.Eventually(t, 20*time.Second, "the watch to report the database gone", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return errs > 0
	})
	pg.Start()
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
}
