package probe

import (
	"path"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// resticCache lets the backup check skip `restic snapshots` (about 0.5
// CPU-s on the host, every BackupEvery) while a local repository's
// snapshot files are the ones seen last time: the check lists the
// repository's snapshots/ directory (an ls) and runs restic only when its
// newest file changed. Remote repositories (sftp:, s3:, rest:…) and
// backups read through sudo always run restic.
type resticCache struct {
	mu    sync.Mutex
	known map[string]resticKnown // by backup name
}

type resticKnown struct {
	newest string             // the newest file in snapshots/ when status was read
	status fleet.BackupStatus // what restic said then
}

// The first line of a restic section says what the listing found.
const (
	resticSame   = "opsdeck-restic-same "
	resticNewest = "opsdeck-restic-newest "
)

// localRepo is the directory of a local restic repository, "" for others.
func localRepo(repo string) string {
	repo = strings.TrimPrefix(repo, "local:")
	if path.IsAbs(repo) {
		return repo
	}
	return ""
}

// command is a backup's check: for a local restic repository the listing
// first, restic only when it changed; the plain check otherwise.
func (c *resticCache) command(b *fleet.Backup, sudo bool) string {
	full := BackupCommand(b, sudo)
	dir := localRepo(b.Repo)
	if b.Kind != "restic" || dir == "" || sudo {
		return full
	}
	list := "n=$(ls -t -- " + Quote(path.Join(dir, "snapshots")) + " 2>/dev/null | head -n 1); "
	c.mu.Lock()
	k, ok := c.known[b.Name]
	c.mu.Unlock()
	if !ok {
		return list + `echo "` + resticNewest + `$n"; ` + full
	}
	return list + `if [ -n "$n" ] && [ "$n" = ` + Quote(k.newest) + ` ]; then echo "` + resticSame + `$n"; else echo "` + resticNewest + `$n"; ` + full + `; fi`
}

// status reads a backup's section: the last status again when the listing
// is unchanged, else the section without the listing's line, remembered
// with it.
func (c *resticCache) status(b *fleet.Backup, sec *Section, at time.Time) fleet.BackupStatus {
	if b.Kind != "restic" || sec == nil || len(sec.Lines) == 0 {
		return ParseBackup(b, sec, at)
	}
	first := sec.Lines[0]
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known == nil {
		c.known = map[string]resticKnown{}
	}
	if name, ok := strings.CutPrefix(first, resticSame); ok && sec.Complete {
		if k, ok := c.known[b.Name]; ok && k.newest == name {
			st := k.status
			st.CheckedAt = at
			return st
		}
	}
	name, listed := strings.CutPrefix(first, resticNewest)
	if listed {
		rest := *sec
		rest.Lines = sec.Lines[1:]
		sec = &rest
	}
	st := ParseBackup(b, sec, at)
	if listed && name != "" && st.Err == "" {
		c.known[b.Name] = resticKnown{newest: name, status: st}
	} else {
		delete(c.known, b.Name)
	}
	return st
}
