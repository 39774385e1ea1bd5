package fleet

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// Position is a 1-based line and column in a config file.
type Position struct{ Line, Col int }

// Origin is where a configuration came from: the file name and the position
// of every key, indexed by path ("hosts.0.services.1.kind").
type Origin struct {
	File string
	pos  map[string]Position
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

// indexPositions records where every table and key of a TOML document is
// written. Array tables get their element index in the path. Syntax errors
// end the index early; the decoder reports them with better context.
func indexPositions(data []byte) map[string]Position {
	pos := map[string]Position{}
	arrays := map[string]int{} // array table path → number of elements so far
	var p unstable.Parser
	p.Reset(data)
	// Where each line starts: a node's line is found by binary search.
	// (Parser.Shape scans from the top of the file every time: quadratic,
	// 16 s for 5,000 hosts.)
	starts := []int{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	at := func(n *unstable.Node) Position {
		off := int(n.Raw.Offset)
		line := sort.SearchInts(starts, off+1) // the first start after off
		return Position{Line: line, Col: off - starts[line-1] + 1}
	}
	var current string
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			var path string
			var first *unstable.Node
			it := e.Key()
			for it.Next() {
				k := it.Node()
				if first == nil {
					first = k
				}
				path = join(path, string(k.Data))
				if e.Kind == unstable.ArrayTable && it.IsLast() {
					arrays[path]++
					path = join(path, strconv.Itoa(arrays[path]-1))
				} else if n, ok := arrays[path]; ok {
					path = join(path, strconv.Itoa(n-1))
				}
			}
			current = path
			if first != nil {
				pos[path] = at(first)
			}
		case unstable.KeyValue:
			indexKeyValue(e, current, pos, at)
		}
	}
	return pos
}

func indexKeyValue(e *unstable.Node, prefix string, pos map[string]Position, at func(*unstable.Node) Position) {
	path := prefix
	it := e.Key()
	var first *unstable.Node
	for it.Next() {
		if first == nil {
			first = it.Node()
		}
		path = join(path, string(it.Node().Data))
	}
	if first != nil {
		pos[path] = at(first)
	}
	if v := e.Value(); v != nil && v.Kind == unstable.InlineTable {
		kids := v.Children()
		for kids.Next() {
			indexKeyValue(kids.Node(), path, pos, at)
		}
	}
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}
