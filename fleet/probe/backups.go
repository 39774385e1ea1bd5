package probe

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// BackupCommand is the shell command that reports a backup's artefacts,
// every configured value quoted.
func BackupCommand(b *fleet.Backup, sudo bool) string {
	var cmd string
	switch b.Kind {
	case "files":
		cmd = FindCommand(b.Path)
	case "restic":
		cmd = "restic --no-lock -r " + Quote(b.Repo) + " --password-file " + Quote(b.PasswordFile) + " snapshots --json --latest 1"
	case "command":
		cmd = b.Command // written by the operator in the config, run as written
	default:
		return "false"
	}
	return fleet.SudoScript(sudo, cmd) + " 2>&1"
}

// FindCommand lists the files matching a glob with their mtime and size.
// The glob is never expanded by the shell: find matches it, quoted.
// A relative glob (config validation refuses them) gets "./" so that no
// part of it can be read as an option of find (a path "-delete/…").
func FindCommand(glob string) string {
	if !path.IsAbs(glob) {
		glob = "./" + path.Clean(glob)
	}
	dir, base := path.Dir(glob), path.Base(glob)
	if !strings.ContainsAny(dir, "*?[") {
		return "find " + Quote(dotSlash(dir)) + " -maxdepth 1 -type f -name " + Quote(base) + " -exec stat -c '%Y %s %n' {} +"
	}
	top := dir
	for strings.ContainsAny(top, "*?[") {
		top = path.Dir(top)
	}
	return "find " + Quote(dotSlash(top)) + " -type f -path " + Quote(glob) + " -exec stat -c '%Y %s %n' {} +"
}

// dotSlash keeps a relative directory from starting with '-'.
func dotSlash(dir string) string {
	if path.IsAbs(dir) || dir == "." {
		return dir
	}
	return "./" + dir
}

// ParseBackup reads one backup's section.
func ParseBackup(b *fleet.Backup, sec *Section, at time.Time) fleet.BackupStatus {
	st := fleet.BackupStatus{Name: b.Name, Kind: b.Kind, Size: -1, PrevSize: -1, Count: -1, CheckedAt: at}
	switch {
	case sec == nil:
		st.Err = "probe printed no status for it"
		return st
	case !sec.Complete:
		st.Err = "status output was cut short"
		return st
	}
	if msg := sudoProblem(strings.Join(sec.Lines, "\n")); msg != "" {
		st.Err = msg
		return st
	}
	var err error
	switch b.Kind {
	case "files":
		err = parseFiles(&st, sec)
	case "restic":
		err = parseRestic(&st, sec)
	case "command":
		err = parseCommandBackup(&st, sec)
	default:
		err = fmt.Errorf("unknown kind %q", b.Kind)
	}
	if err != nil {
		st = fleet.BackupStatus{Name: b.Name, Kind: b.Kind, Size: -1, PrevSize: -1, Count: -1, CheckedAt: at, Err: fleet.Sanitize(err.Error(), 200)}
	}
	st.Newest = fleet.Sanitize(st.Newest, maxField)
	return st
}

type artefact struct {
	mtime int64
	size  int64
	name  string
}

func parseFiles(st *fleet.BackupStatus, sec *Section) error {
	var files []artefact
	for _, l := range sec.Lines {
		if l == "" {
			continue
		}
		f := strings.SplitN(l, " ", 3)
		if len(f) != 3 {
			if strings.HasPrefix(l, "find:") {
				continue // e.g. the directory does not exist: no backup found
			}
			return fmt.Errorf("unexpected %q", clip(l))
		}
		mt, err1 := strconv.ParseInt(f[0], 10, 64)
		sz, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil || sz < 0 {
			if strings.HasPrefix(l, "find:") || strings.HasPrefix(l, "stat:") {
				continue
			}
			return fmt.Errorf("unexpected %q", clip(l))
		}
		files = append(files, artefact{mt, sz, f[2]})
	}
	sort.Slice(files, func(i, j int) bool {
		if files[i].mtime != files[j].mtime {
			return files[i].mtime > files[j].mtime
		}
		return files[i].name > files[j].name
	})
	st.Count = len(files)
	if len(files) == 0 {
		return nil
	}
	st.Newest, st.NewestAt, st.Size = files[0].name, time.Unix(files[0].mtime, 0), files[0].size
	if len(files) > 1 {
		st.PrevSize = files[1].size
	}
	return nil
}

type resticSnapshot struct {
	Time    time.Time `json:"time"`
	ID      string    `json:"id"`
	ShortID string    `json:"short_id"`
	Summary *struct {
		TotalBytes int64 `json:"total_bytes_processed"`
	} `json:"summary"`
}

func parseRestic(st *fleet.BackupStatus, sec *Section) error {
	text := strings.TrimSpace(strings.Join(sec.Lines, "\n"))
	if sec.Exit != 0 {
		return fmt.Errorf("restic snapshots failed (exit %d): %s", sec.Exit, clip(text))
	}
	i := strings.Index(text, "[")
	if i < 0 {
		return fmt.Errorf("restic printed no JSON: %s", clip(text))
	}
	var snaps []resticSnapshot
	if err := json.Unmarshal([]byte(text[i:]), &snaps); err != nil {
		return fmt.Errorf("restic snapshots: %v", err)
	}
	st.Count = -1 // --latest 1 lists the newest per host and paths only
	for _, s := range snaps {
		if s.Time.After(st.NewestAt) {
			st.NewestAt, st.Newest = s.Time, s.ID
			if s.Summary != nil {
				st.Size = s.Summary.TotalBytes
			}
		}
	}
	return nil
}

// parseCommandBackup reads "TIME [SIZE]": TIME a Unix time or RFC 3339.
func parseCommandBackup(st *fleet.BackupStatus, sec *Section) error {
	if sec.Exit != 0 {
		return fmt.Errorf("command failed (exit %d): %s", sec.Exit, clip(strings.Join(sec.Lines, " ")))
	}
	if len(sec.Lines) == 0 || strings.TrimSpace(sec.Lines[0]) == "" {
		return fmt.Errorf("command printed nothing; it must print a time")
	}
	f := strings.Fields(sec.Lines[0])
	if n, err := strconv.ParseFloat(f[0], 64); err == nil && n > 0 && n < 1e11 {
		st.NewestAt = time.Unix(int64(n), 0)
	} else if t, err := time.Parse(time.RFC3339, f[0]); err == nil {
		st.NewestAt = t
	} else {
		return fmt.Errorf("not a Unix time or RFC 3339 time: %q", clip(f[0]))
	}
	if len(f) > 1 {
		if sz, err := strconv.ParseInt(f[1], 10, 64); err == nil && sz >= 0 {
			st.Size = sz
		}
	}
	return nil
}
