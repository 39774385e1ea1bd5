package actions

import "sync"

// lineRing keeps the newest max lines of an output, numbered from 0, for
// readers that poll it: a writer never waits on a reader.
type lineRing struct {
	max   int
	mu    sync.Mutex
	lines []string
	next  int // sequence number of the next line
}

// Lines returns the lines from sequence number from on (those still kept),
// how many before them were dropped, and the sequence number to ask for
// next.
func (r *lineRing) Lines(from int) (lines []string, dropped, next int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	first := r.next - len(r.lines)
	if from < first {
		dropped, from = first-from, first
	}
	if from < r.next {
		lines = append(lines, r.lines[from-first:]...)
	}
	return lines, dropped, r.next
}

func (r *lineRing) add(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.lines) == r.max {
		copy(r.lines, r.lines[r.max/10:])
		r.lines = r.lines[:r.max-r.max/10]
	}
	r.lines = append(r.lines, line)
	r.next++
}
