package config

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/opsdeck/opsdeck/fleet"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

//go:embed default.toml
var defaultConfig []byte

// LoadLocated loads what Locate chose.
func LoadLocated(l fleet.Located) (*fleet.Config, error) { return new(Loader).LoadLocated(l) }

// LoadLocated loads what Locate chose, keeping the inventories' last good
// lists for the next load.
func (ld *Loader) LoadLocated(l fleet.Located) (*fleet.Config, error) {
	if l.Path == "" {
		return Default(), nil
	}
	return ld.Load(l.Path)
}

// Default is the embedded configuration: a fleet of one, this machine,
// named after its hostname.
func Default() *fleet.Config {
	c, err := Parse("(embedded default)", defaultConfig)
	if err != nil {
		panic("embedded default config is invalid: " + err.Error())
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		c.Hosts[0].Name = h
	}
	return c
}

// setFrom writes where each host was defined, for people: file:line.
func setFrom(c *fleet.Config, src []string) {
	for i := range c.Hosts {
		if c.Hosts[i].From == "" {
			c.Hosts[i].From = fmt.Sprintf("%s:%d", c.Origin.File, c.Origin.At(src[i]).Line)
		}
	}
}

var (
	durationType = reflect.TypeOf(fleet.Duration{})
	sizeType     = reflect.TypeOf(fleet.Size(0))
)

// checkValueKinds catches what the decoder reports without a position: a
// number written where a duration or a size string belongs.
func checkValueKinds(src *fleet.Origin, data []byte) fleet.Problems {
	var ps fleet.Problems
	var p unstable.Parser
	p.Reset(data)
	var table []string
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = keyParts(e.Key())
		case unstable.KeyValue:
			parts := append(append([]string{}, table...), keyParts(e.Key())...)
			t := fieldType(reflect.TypeOf(fleet.Config{}), parts)
			v := e.Value()
			if t == nil || v == nil || v.Kind == unstable.String {
				continue
			}
			want := ""
			switch t {
			case durationType:
				want = `a duration string such as "30s" or "26h"`
			case sizeType:
				want = `a size string such as "512KB" or "2GiB"`
			default:
				continue
			}
			sh := p.Shape(v.Raw)
			ps = append(ps, fleet.Problem{File: src.File, Position: fleet.Position{Line: sh.Start.Line, Col: sh.Start.Column},
				Key: strings.Join(parts, "."), Msg: fmt.Sprintf("wrong type: expected %s, got %s %s", want, kindName(v.Kind), p.Raw(v.Raw))})
		}
	}
	return ps
}

func keyParts(it unstable.Iterator) []string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

func kindName(k unstable.Kind) string {
	switch k {
	case unstable.Integer:
		return "integer"
	case unstable.Float:
		return "number"
	case unstable.Bool:
		return "boolean"
	case unstable.Array:
		return "array"
	case unstable.InlineTable:
		return "table"
	}
	return strings.ToLower(k.String())
}

// fieldType follows TOML key parts through the Config type; nil when a part
// names no field.
func fieldType(t reflect.Type, parts []string) reflect.Type {
	for _, part := range parts {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Map:
			t = t.Elem()
			continue
		case reflect.Struct:
		default:
			return nil
		}
		f, ok := fieldByTag(t, part)
		if !ok {
			return nil
		}
		t = f.Type
	}
	return t
}

func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if tag := strings.Split(f.Tag.Get("toml"), ",")[0]; tag == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func fieldNames(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		if tag := strings.Split(t.Field(i).Tag.Get("toml"), ",")[0]; tag != "" && tag != "-" {
			names = append(names, tag)
		}
	}
	return names
}

var typeErrRE = regexp.MustCompile(`cannot decode TOML (\w+) into .* of type (\S+)`)

// decodeProblems turns go-toml errors into located, readable problems.
func decodeProblems(file string, err error) fleet.Problems {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		ps := make(fleet.Problems, 0, len(strict.Errors))
		for i := range strict.Errors {
			e := &strict.Errors[i]
			line, col := e.Position()
			ps = append(ps, fleet.Problem{File: file, Position: fleet.Position{Line: line, Col: col}, Msg: unknownKeyMsg(e.Key())})
		}
		return ps
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if m := typeErrRE.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("wrong type: expected %s, got %s", goTypeName(m[2]), strings.ToLower(m[1]))
		}
		return fleet.Problems{{File: file, Position: fleet.Position{Line: line, Col: col}, Key: strings.Join(de.Key(), "."), Msg: msg}}
	}
	return fleet.Problems{{File: file, Msg: strings.TrimPrefix(err.Error(), "toml: ")}}
}

func goTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "integer"
	case strings.HasPrefix(t, "float"):
		return "number"
	case t == "bool", t == "*bool":
		return "boolean (true or false)"
	case t == "string":
		return "string"
	case strings.HasPrefix(t, "[]"):
		return "array of " + goTypeName(t[2:]) + "s"
	case strings.HasPrefix(t, "map"):
		return "table"
	}
	return "table"
}

// unknownKeyMsg names the key, the table it is in and the nearest valid key.
func unknownKeyMsg(key toml.Key) string {
	if len(key) == 0 {
		return "unknown key"
	}
	name, parent := key[len(key)-1], key[:len(key)-1]
	where := "at top level"
	t := reflect.TypeOf(fleet.Config{})
	if len(parent) > 0 {
		ft := fieldType(t, parent)
		open, close := "[", "]"
		if ft != nil && ft.Kind() == reflect.Slice {
			open, close = "[[", "]]"
		}
		where = "in " + open + strings.Join(parent, ".") + close
		t = ft
	}
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
		t = t.Elem()
	}
	msg := fmt.Sprintf("unknown key %q %s", name, where)
	if t != nil && t.Kind() == reflect.Struct {
		if s := Suggest(name, fieldNames(t)); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
	}
	return msg
}

// Suggest returns the candidate closest to s by edit distance, if close
// enough to be a plausible typo.
func Suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	sorted := append([]string{}, candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	limit := max(2, len(s)/3)
	if bestD > limit {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
