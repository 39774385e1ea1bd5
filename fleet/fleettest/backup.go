package fleettest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Restic is a real restic repository in a temporary directory.
type Restic struct {
	Repo, PasswordFile string
}

// NewRestic initialises a repository (restic init) with a random password.
func NewRestic(tb testing.TB) *Restic {
	tb.Helper()
	if _, err := exec.LookPath("restic"); err != nil {
		tb.Fatal("restic is not installed: run 'make test' (it installs restic) or 'apt-get install restic'")
	}
	dir := tb.TempDir()
	var pw [16]byte
	_, _ = rand.Read(pw[:])
	r := &Restic{Repo: filepath.Join(dir, "repo"), PasswordFile: filepath.Join(dir, "password")}
	must(tb, os.WriteFile(r.PasswordFile, []byte(hex.EncodeToString(pw[:])+"\n"), 0o600))
	r.Run(tb, "init")
	return r
}

// Run runs restic on the repository and returns its output.
func (r *Restic) Run(tb testing.TB, args ...string) string {
	tb.Helper()
	cmd := exec.Command("restic", append([]string{"-r", r.Repo, "--password-file", r.PasswordFile}, args...)...)
	cmd.Env = append(os.Environ(), "RESTIC_CACHE_DIR="+filepath.Join(filepath.Dir(r.Repo), "cache"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("restic %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// Postgres is a real PostgreSQL server on 127.0.0.1, run as the postgres
// system user with trust authentication on loopback, in its own data
// directory, stopped by PID.
type Postgres struct {
	tb         testing.TB
	Port       int
	Dir        string
	bin        string
	uid, gid   uint32
	postmaster int
	fsync      bool
}

// StartPostgres initialises a cluster and starts it, fsync off (tests
// need no durability across a machine crash).
func StartPostgres(tb testing.TB) *Postgres { return startPostgres(tb, false) }

// StartPostgresDB is StartPostgres with an empty database of that name,
// and its URL: what opsdeck's shared record is tested on.
func StartPostgresDB(tb testing.TB, name string) (*Postgres, string) {
	tb.Helper()
	pg := StartPostgres(tb)
	pg.SQL("postgres", "CREATE DATABASE "+name)
	return pg, pg.URL(name)
}

// StartDurablePostgres is StartPostgres with fsync on, as in production:
// for benchmarks of commit latency.
func StartDurablePostgres(tb testing.TB) *Postgres { return startPostgres(tb, true) }

func startPostgres(tb testing.TB, fsync bool) *Postgres {
	tb.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		tb.Fatal("PostgreSQL server is not installed: run 'make test' (it installs postgresql) or 'apt-get install postgresql'")
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		tb.Fatalf("no postgres system user: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	// PostgreSQL refuses to run as root; its directory must be its own.
	dir, err := os.MkdirTemp("", "opsdeck-pg-")
	must(tb, err)
	tb.Cleanup(func() { os.RemoveAll(dir) })
	must(tb, os.Chown(dir, uid, gid))
	p := &Postgres{tb: tb, Dir: dir, bin: filepath.Dir(bins[len(bins)-1]), uid: uint32(uid), gid: uint32(gid), fsync: fsync}
	p.Port = freePort(tb, "127.0.0.1")
	p.as("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "--auth=trust", "--no-sync")
	p.Start()
	tb.Cleanup(p.Stop)
	return p
}

// Start starts the server (again, after Stop) on its port and data.
func (p *Postgres) Start() {
	p.tb.Helper()
	p.as("pg_ctl", "-D", filepath.Join(p.Dir, "data"), "-l", filepath.Join(p.Dir, "log"), "-w", "-t", "30",
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=%v", p.Port, p.Dir, p.fsync), "start")
	pidfile, err := os.ReadFile(filepath.Join(p.Dir, "data", "postmaster.pid"))
	must(p.tb, err)
	p.postmaster, _ = strconv.Atoi(strings.SplitN(string(pidfile), "\n", 2)[0])
}

// PID is the postmaster's: TreeCPU(PID()) is what the server has used.
func (p *Postgres) PID() int { return p.postmaster }

// URL is a connection URL for database db on this server.
func (p *Postgres) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, db)
}

func (p *Postgres) as(name string, args ...string) string {
	p.tb.Helper()
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: p.uid, Gid: p.gid}}
	cmd.Dir = p.Dir
	cmd.Env = []string{"PATH=" + p.bin + ":/usr/bin:/bin", "HOME=" + p.Dir, "LC_ALL=C"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(p.Dir, "log"))
		p.tb.Fatalf("%s %v: %v\n%s\n%s", name, args, err, out, tail(log, 2000))
	}
	return string(out)
}

// Conn is the libpq options for psql, pg_dump, createdb… against this
// server.
func (p *Postgres) Conn() string { return fmt.Sprintf("-h 127.0.0.1 -p %d -U postgres", p.Port) }

// Bin is the directory holding psql, pg_dump, createdb….
func (p *Postgres) Bin() string { return p.bin }

// SQL runs a statement in database db and returns psql's unaligned output.
func (p *Postgres) SQL(db, sql string) string {
	p.tb.Helper()
	return strings.TrimSpace(p.as("psql", "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-tA", "-d", db, "-c", sql))
}

// TrySQL is SQL for a statement that may fail (a table not there yet).
func (p *Postgres) TrySQL(db, sql string) (string, error) {
	cmd := exec.Command(filepath.Join(p.bin, "psql"), "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-tA", "-d", db, "-c", sql)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + p.Dir, "LC_ALL=C"}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// Stop shuts the server down (fast) by its postmaster PID.
func (p *Postgres) Stop() {
	if p.postmaster == 0 {
		return
	}
	_ = syscall.Kill(p.postmaster, syscall.SIGINT)
	for i := 0; i < 500 && syscall.Kill(p.postmaster, 0) == nil; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	p.postmaster = 0
}
