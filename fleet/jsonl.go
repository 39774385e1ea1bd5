package fleet

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
)

// MaxJSONLine bounds one record of a JSON-lines file (audit log, drill
// history, events); a longer line is damaged or hostile and is skipped,
// never read into memory whole.
const MaxJSONLine = 1 << 20

// EachJSONLine hands fn every line of path that decodes as T and that
// valid (when set) accepts, oldest first, holding one line in memory at a
// time. A damaged line, or one over MaxJSONLine, is skipped, never hiding
// the rest, and counted in skipped. A missing file has no lines. The one
// reader of every JSON-lines file opsdeck keeps.
func EachJSONLine[T any](path string, valid func(*T) bool, fn func(T)) (skipped int, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64*1024)
	var line []byte
	long := false
	for {
		chunk, err := r.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull:
			if !long && len(line)+len(chunk) <= MaxJSONLine {
				line = append(line, chunk...)
			} else {
				long, line = true, line[:0]
			}
			continue
		case err != nil && err != io.EOF:
			return skipped, err
		}
		if !long && len(line)+len(chunk) <= MaxJSONLine {
			line = append(line, chunk...)
			var v T
			switch {
			case len(line) == 0 || (len(line) == 1 && line[0] == '\n'):
			case json.Unmarshal(line, &v) == nil && (valid == nil || valid(&v)):
				fn(v)
			default:
				skipped++
			}
		} else {
			skipped++
		}
		line, long = line[:0], false
		if err == io.EOF {
			return skipped, nil
		}
	}
}
