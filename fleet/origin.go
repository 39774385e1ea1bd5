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
	// alias maps the key paths of the expanded fleet (hosts.7.port) to
	// where their values were written (hosts.2.port of a range, or
	// roles.web.port), in this file or another source (an inventory).
	alias map[string]Written
	// under holds, per host (hosts.7), the aliases of its keys by suffix
	// (port, services.0): the hosts of one range share one table.
	under map[string]map[string]Written
}

// Written is where a value of the expanded fleet was written: a key path
// of the file, or of another source (File set: an inventory, by name and
// group, which has no lines).
type Written struct {
	File string // "" for the configuration file itself
	Path string
}

// Alias records that the values under the key path from (of the expanded
// fleet) were written at to; the longest aliased prefix of a path wins.
func (s *Origin) Alias(from string, to Written) {
	if s.alias == nil {
		s.alias = map[string]Written{}
	}
	if host, key, ok := hostKeyPath(from); ok {
		if s.under == nil {
			s.under = map[string]map[string]Written{}
		}
		t := s.under[host]
		if t == nil {
			t = map[string]Written{}
			s.under[host] = t
		}
		t[key] = to
		return
	}
	s.alias[from] = to
}

// ShareAliases gives host to the key aliases of host from (a range's
// hosts, merged alike); later aliases of either apply to both.
func (s *Origin) ShareAliases(from, to string) {
	if t := s.under[from]; t != nil {
		s.under[to] = t
	}
}

// hostKeyPath splits hosts.7.port into hosts.7 and port.
func hostKeyPath(p string) (host, key string, ok bool) {
	rest, ok := strings.CutPrefix(p, "hosts.")
	if !ok {
		return "", "", false
	}
	i := strings.IndexByte(rest, '.')
	if i < 0 {
		return "", "", false
	}
	return p[:len("hosts.")+i], rest[i+1:], true
}

// lookup is the alias of the key path p, if any.
func (s *Origin) lookup(p string) (Written, bool) {
	if host, key, ok := hostKeyPath(p); ok {
		if t := s.under[host]; t != nil {
			if w, ok := t[key]; ok {
				return w, true
			}
		}
		return Written{}, false
	}
	w, ok := s.alias[p]
	return w, ok
}

// resolve follows path's longest aliased prefix: the key path as written
// in the file, or the other source (an inventory) it came from.
func (s *Origin) resolve(path string) (raw, other string) {
	for p := path; p != "" && (s.alias != nil || s.under != nil); {
		if to, found := s.lookup(p); found {
			if to.File != "" {
				return "", to.File
			}
			return to.Path + path[len(p):], ""
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return path, ""
}

// Exact is where the key at path itself was written, through its
// aliases: the file and the key path as written there (roles.web.port);
// ok is false when it was not written (a default applies), and for a key
// of another source (an inventory), whose file comes back without a path.
func (s *Origin) Exact(path string) (file, raw string, pos Position, ok bool) {
	if s == nil {
		return "", "", Position{}, false
	}
	raw, other := s.resolve(path)
	if other != "" {
		return other, "", Position{}, false
	}
	pos, ok = s.pos[raw]
	return s.File, raw, pos, ok
}

// Where is the source of the key at path and its position: through the
// longest aliased prefix of path, then the nearest written ancestor.
func (s *Origin) Where(path string) (file string, pos Position) {
	if s == nil {
		return "", Position{}
	}
	raw, other := s.resolve(path)
	if other != "" {
		return other, Position{}
	}
	return s.File, s.written(raw)
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
	_, p := s.Where(path)
	return p
}

// At is the position of the key at path as written in the file itself
// (no alias), or of its nearest written ancestor.
func (s *Origin) At(path string) Position {
	if s == nil {
		return Position{}
	}
	return s.written(path)
}

// Has says whether the key at path is written in the file itself (no
// alias, no ancestor).
func (s *Origin) Has(path string) bool {
	_, ok := s.pos[path]
	return s != nil && ok
}

// written is the position of the key at path as written in the file, or
// of its nearest written ancestor.
func (s *Origin) written(path string) Position {
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
	file, pos := s.Where(path)
	return Problem{File: file, Position: pos, Key: key, Msg: fmt.Sprintf(format, args...)}
}
