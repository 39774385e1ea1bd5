package prom

// A reader of Prometheus' instant-vector answers made for the view: at
// 100,000 hosts an answer holds hundreds of thousands of samples, and
// decoding them into client_golang's model (a map per sample, through
// encoding/json) cost more than everything else a refresh does.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// sample is one sample of an instant vector: its labels and value.
type sample struct {
	labels []label
	value  float64
}

type label struct{ name, value string }

// label is the value of the label name ("" when it has none).
func (s *sample) label(name string) string {
	for _, l := range s.labels {
		if l.name == name {
			return l.value
		}
	}
	return ""
}

// interner interns the labels' names and values read: the same few
// hundred thousand repeat in every answer.
type interner map[string]string

func (in interner) of(b []byte) string {
	if s, ok := in[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	in[s] = s
	return s
}

// query runs an instant query at now and reads its vector, within ctx.
func (v *View) query(ctx context.Context, q string, now time.Time, in interner) (out []sample, err error) {
	defer func() {
		if err != nil && ctx.Err() != nil {
			out, err = nil, fmt.Errorf("no answer within %s", v.cfg.Timeout.Duration)
		}
	}()
	form := url.Values{"query": {q}, "time": {strconv.FormatFloat(float64(now.UnixNano())/1e9, 'f', 3, 64)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(v.cfg.URL, "/")+"/api/v1/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := v.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, err
	}
	out, err = readVector(body, in)
	if err != nil && resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s: %w", resp.Status, err)
	}
	return out, err
}

// maxAnswer bounds an answer read: 2 GiB, some twenty million samples.
const maxAnswer = 2 << 30

// readVector reads an /api/v1/query answer: its vector, or its error.
func readVector(b []byte, in interner) ([]sample, error) {
	s := &scan{b: b, in: in}
	var out []sample
	var status, errText string
	s.object(func(key []byte) {
		switch string(key) {
		case "status":
			status = string(s.str())
		case "error":
			errText = string(s.str())
		case "data":
			s.object(func(key []byte) {
				switch string(key) {
				case "resultType":
					if t := string(s.str()); t != "vector" {
						s.fail("answered a " + t + ", not a vector")
					}
				case "result":
					out = s.result()
				default:
					s.skip()
				}
			})
		default:
			s.skip()
		}
	})
	switch {
	case s.err != nil:
		return nil, s.err
	case status != "success":
		return nil, errors.New(errText)
	}
	return out, nil
}

// scan is a cursor over an answer; the first error stops it.
type scan struct {
	b   []byte
	i   int
	err error
	in  interner
	esc []byte // an escaped string's bytes, unquoted
}

func (s *scan) fail(why string) {
	if s.err == nil {
		s.err = fmt.Errorf("prometheus answer at byte %d: %s", s.i, why)
	}
	s.i = len(s.b)
}

func (s *scan) ws() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\n' || s.b[s.i] == '\t' || s.b[s.i] == '\r') {
		s.i++
	}
}

// eat consumes c, after blanks, when it is next.
func (s *scan) eat(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *scan) must(c byte) {
	if !s.eat(c) {
		s.fail("want " + string(c))
	}
}

// object reads {"key": value, …}, giving each key to field, which reads
// its value.
func (s *scan) object(field func(key []byte)) {
	s.must('{')
	if s.eat('}') {
		return
	}
	for s.err == nil {
		key := s.str()
		s.must(':')
		field(key)
		if !s.eat(',') {
			s.must('}')
			return
		}
	}
}

// result reads the vector's samples.
func (s *scan) result() []sample {
	var out []sample
	s.must('[')
	if s.eat(']') {
		return out
	}
	for s.err == nil {
		var one sample
		s.object(func(key []byte) {
			switch string(key) {
			case "metric":
				s.object(func(name []byte) {
					n := s.in.of(name)
					one.labels = append(one.labels, label{name: n, value: s.in.of(s.str())})
				})
			case "value":
				s.must('[')
				s.skip() // the evaluation time
				s.must(',')
				v, err := strconv.ParseFloat(string(s.str()), 64)
				if err != nil {
					s.fail(err.Error())
				}
				one.value = v
				s.must(']')
			default:
				s.skip()
			}
		})
		out = append(out, one)
		if !s.eat(',') {
			s.must(']')
			return out
		}
	}
	return out
}

// str reads a string; the bytes are valid until the next str.
func (s *scan) str() []byte {
	s.must('"')
	start := s.i
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return s.b[start : s.i-1]
		case c == '\\':
			return s.escaped(start)
		case c < 0x20:
			s.fail("control character in a string")
			return nil
		}
		s.i++
	}
	s.fail("unterminated string")
	return nil
}

// escaped reads the rest of a string that holds escapes, from start.
func (s *scan) escaped(start int) []byte {
	for s.i < len(s.b) && s.b[s.i] != '"' {
		if s.b[s.i] == '\\' {
			s.i++
		}
		s.i++
	}
	if s.i >= len(s.b) {
		s.fail("unterminated string")
		return nil
	}
	s.i++
	u, err := strconv.Unquote(string(s.b[start-1 : s.i]))
	if err != nil || !utf8.ValidString(u) {
		s.fail("bad string escape")
		return nil
	}
	s.esc = append(s.esc[:0], u...)
	return s.esc
}

// skip reads any value and drops it.
func (s *scan) skip() {
	s.ws()
	if s.i >= len(s.b) {
		s.fail("want a value")
		return
	}
	switch s.b[s.i] {
	case '"':
		s.str()
	case '{':
		s.object(func([]byte) { s.skip() })
	case '[':
		s.i++
		if s.eat(']') {
			return
		}
		for s.err == nil {
			s.skip()
			if !s.eat(',') {
				s.must(']')
				return
			}
		}
	default: // a number, true, false, null
		for s.i < len(s.b) && !strings.ContainsRune(",}] \n\t\r", rune(s.b[s.i])) {
			s.i++
		}
	}
}
