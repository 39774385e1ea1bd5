package fleet

import (
	"fmt"
	"sort"
	"strings"
)

// Position is a 1-based line and column in a config file.
type Position struct{ Line, Col int }

// Origin is where a configuration came from: the file name and the position
// of every key, indexed by path ("hosts.0.services.1.kind").
type Origin struct {
	File string
	pos  map[string]Position
}

// NewOrigin is the origin of a document named file whose keys are written
// at pos, by key path.
func NewOrigin(file string, pos map[string]Position) *Origin {
	return &Origin{File: file, pos: pos}
}

// Pos returns the position of the key at path, or of its nearest written
// ancestor when the key itself is absent (a missing field is reported at its
// table).
func (s *Origin) Pos(path string) Position {
	if s == nil {
		return Position{}
	}
	for path != "" {
		if p, ok := s.pos[path]; ok {
			return p
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return Position{}
}

// Problem is one thing wrong with a configuration, located in its file.
type Problem struct {
	File string
	Position
	Key string // readable key path: hosts[web-1].port
	Msg string
}

func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Col > 0 {
			fmt.Fprintf(&b, ":%d", p.Col)
		}
	}
	b.WriteString(": ")
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in one configuration, in file order.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Sort orders problems by position in the file.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(a, b int) bool {
		if ps[a].Line != ps[b].Line {
			return ps[a].Line < ps[b].Line
		}
		return ps[a].Col < ps[b].Col
	})
}

// Problem builds a Problem located at the key path (see Origin.Pos).
func (s *Origin) Problem(path, key, format string, args ...any) Problem {
	file := ""
	if s != nil {
		file = s.File
	}
	return Problem{File: file, Position: s.Pos(path), Key: key, Msg: fmt.Sprintf(format, args...)}
}
