package actions

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// jsonLines serialises appends to a file of one JSON value per line, the
// shape of both the audit log and the drill history. what names the file in
// errors ("audit log").
type jsonLines struct {
	mu sync.Mutex
}

func openAppend(what, path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return f, nil
}

// append writes v as one line and fsyncs it before returning.
func (l *jsonLines) append(what, path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := openAppend(what, path)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("%s %s: %w", what, path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("%s %s: %w", what, path, err)
	}
	return f.Close()
}

// readLines decodes every line of path that parses as T, oldest first,
// keeping at most keep of the newest (all when keep <= 0). A missing file
// is empty; a damaged line is skipped rather than hiding the rest.
func readLines[T any](path string, keep int, valid func(*T) bool) ([]T, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var v T
		if json.Unmarshal(sc.Bytes(), &v) != nil || (valid != nil && !valid(&v)) {
			continue
		}
		out = append(out, v)
		if keep > 0 && len(out) > 4*keep {
			out = append(out[:0], out[len(out)-keep:]...)
		}
	}
	if keep > 0 && len(out) > keep {
		out = out[len(out)-keep:]
	}
	return out, sc.Err()
}
