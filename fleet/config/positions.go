package config

import (
	"sort"
	"strconv"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/pelletier/go-toml/v2/unstable"
)

// indexPositions records where every table and key of a TOML document is
// written. Array tables get their element index in the path. Syntax errors
// end the index early; the decoder reports them with better context.
func indexPositions(data []byte) map[string]fleet.Position {
	pos := map[string]fleet.Position{}
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
	at := func(n *unstable.Node) fleet.Position {
		off := int(n.Raw.Offset)
		line := sort.SearchInts(starts, off+1) // the first start after off
		return fleet.Position{Line: line, Col: off - starts[line-1] + 1}
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

func indexKeyValue(e *unstable.Node, prefix string, pos map[string]fleet.Position, at func(*unstable.Node) fleet.Position) {
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
