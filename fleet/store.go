package fleet

import (
	"errors"
	"math"
	"sync"
	"time"
)

// Observation is the result of one poll of one host.
type Observation struct {
	Host   string
	At     time.Time
	Sample *Sample // nil when the poll failed
	Err    error
	RTT    time.Duration // how long the poll took
}

// HostStatus is what the store knows about a host. Values returned by
// Snapshot are copies; Last points to an immutable sample.
type HostStatus struct {
	Host *Host
	Last *Sample // last good sample, nil if none yet
	Err  string  // last poll error, sanitised; "" after a success
	// ErrCause is what Err means when the transport says (refused, no
	// SSH banner); CauseNone else.
	ErrCause Cause
	ErrAt    time.Time // when Err happened
	Slow     bool      // Err is a poll that started on the host and ran out of time
	// Answered: Err is a command that failed on a host that answered over
	// SSH (its connection stands: the hosts behind it are not cut off).
	Answered bool
	Note     string // why there is no data (e.g. unsupported), shown as UNKNOWN
	Polls    int    // polls attempted
	Fails    int    // polls failed in a row
	RTT      time.Duration
	// Drills summarises the restore drills of each backup, by name.
	Drills map[string]DrillSummary
	// DrillsUnknown says why the drill history is not known ("" once
	// read); read a backup's drills with DrillsOf.
	DrillsUnknown string
	// KeyChange is set while the host's last poll was refused because its
	// host key changed.
	KeyChange *KeyChange
	// Fill is each watched mount's forecast (space and inodes), made
	// anew at each step of its history. Replaced, never changed in place.
	Fill Forecasts
	// DownSince is when the host's polls began to fail, as DOWN or
	// HOSTKEY (zero while it answers).
	DownSince time.Time
	// Behind is set while a parent of the host (its jump host, a host it
	// names) is DOWN or UNREACHABLE: the host is UNREACHABLE unless it
	// answered since (see Assess).
	Behind *Behind
	// Verdict is set when a poller elsewhere judges the host (read back
	// from Prometheus): Assess returns it; Last holds its figures.
	Verdict *Verdict
	// Held are the resource metrics' alarms over time (cpu, disk /var):
	// how long each has been above its levels. Replaced, never changed in
	// place, so snapshots keep theirs.
	Held Alarms
}

// HistoryLen is how many samples of CPU and memory each host keeps for its
// sparklines.
const HistoryLen = 120

// Store holds the latest status and a bounded history per host. Pollers
// write to it; the UI reads snapshots when Version changes.
type Store struct {
	mu       sync.RWMutex
	hosts    []*entry
	byName   map[string]*entry
	children map[string][]*entry // hosts by the parent they name
	version  uint64
	shape    uint64 // counts the changes of which hosts it holds
}

type entry struct {
	status   HostStatus
	cpu, mem ring
	// fill are the mounts' fill histories, beside their names (a host
	// has few: slices, not maps).
	fill       []*FillHistory
	fillMounts []string
	ver        uint64 // store version of this host's last change
}

// NewStore makes a store for the configured hosts.
func NewStore(hosts []Host) *Store {
	s := &Store{byName: make(map[string]*entry, len(hosts))}
	for i := range hosts {
		e := &entry{status: HostStatus{Host: &hosts[i]}, cpu: newRing(HistoryLen), mem: newRing(HistoryLen)}
		s.hosts = append(s.hosts, e)
		s.byName[hosts[i].Name] = e
	}
	s.linkParents()
	return s
}

// Apply makes the store's hosts those of a reloaded fleet, in its order:
// a host that stays (by name) keeps its data, history, alarms and drills
// and takes its new settings; a new host starts with none; a removed one
// is dropped.
func (s *Store) Apply(hosts []Host) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++
	s.shape++
	unknown := ""
	if len(s.hosts) > 0 {
		unknown = s.hosts[0].status.DrillsUnknown
	}
	next := make([]*entry, 0, len(hosts))
	byName := make(map[string]*entry, len(hosts))
	hosts = s.keepRemote(hosts)
	for i := range hosts {
		e, ok := s.byName[hosts[i].Name]
		if !ok { // its drills are read by the caller (RecordDrill)
			e = &entry{cpu: newRing(HistoryLen), mem: newRing(HistoryLen)}
			e.status.DrillsUnknown = unknown
		}
		e.status.Host = &hosts[i]
		e.ver = s.version
		next = append(next, e)
		byName[hosts[i].Name] = e
	}
	s.hosts, s.byName = next, byName
	s.linkParents()
}

// Record stores an observation. Errors are sanitised: they may carry text
// from the host.
func (s *Store) Record(o Observation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byName[o.Host]
	if !ok {
		return
	}
	st := &e.status
	wasFailing := st.failing()
	st.Polls++
	st.RTT = o.RTT
	if o.Err != nil || o.Sample == nil {
		msg := "poll returned no data"
		if o.Err != nil {
			msg = Sanitize(o.Err.Error(), MaxText)
		}
		st.Err, st.ErrAt, st.Slow, st.Answered = msg, o.At, isSlow(o.Err), answered(o.Err)
		st.ErrCause = CauseNone
		if c := Causer(nil); errors.As(o.Err, &c) {
			st.ErrCause = c.HostCause()
		}
		st.KeyChange = keyChangeOf(o.Err)
		st.Fails++
	} else {
		st.Last, st.Err, st.Fails, st.KeyChange = o.Sample, "", 0, nil
		e.addFill(o.Sample)
		st.Held = hold(st.Held, o.Sample, st.Host, st.Fill)
		if o.Sample.Known(MetricCPU) {
			e.cpu.push(o.Sample.CPU)
		}
		if o.Sample.Known(MetricMemory) {
			e.mem.push(o.Sample.MemPercent())
		}
	}
	failing := st.failing()
	switch {
	case failing && !wasFailing:
		st.DownSince = o.At
	case !failing:
		st.DownSince = time.Time{}
	}
	s.version++
	e.ver = s.version
	if failing != wasFailing || st.Behind != nil { // what the hosts behind it are judged by moved
		s.refreshBehind(e)
	}
}

// isSlow tells a host that answered late from one that did not answer: the
// transport's errors say so with a Slow method.
// KeyChange is a host key that is not the one known_hosts holds for the
// host: where it is, both fingerprints, and the key now presented.
type KeyChange struct {
	Host     string // the host's name in opsdeck
	Hostname string // as known_hosts names it: "[127.0.0.1]:2222", "db-1"
	File     string // the known_hosts file
	Line     int    // and line that holds the old key
	Old, New string // SHA256 fingerprints
	NewKey   string // the key presented, as a known_hosts key field ("ssh-ed25519 AAAA…")
}

// keyChangeOf is the key change an error is about, if it is one.
func keyChangeOf(err error) *KeyChange {
	var k interface{ KeyChange() *KeyChange }
	if errors.As(err, &k) {
		return k.KeyChange()
	}
	return nil
}

// answered tells a command that failed on a host that answered from a
// host that could not be reached: the transport's errors say so with an
// Answered method; any other error is a host not reached.
func answered(err error) bool {
	var a interface{ Answered() bool }
	return errors.As(err, &a) && a.Answered()
}

func isSlow(err error) bool {
	var s interface{ Slow() bool }
	return errors.As(err, &s) && s.Slow()
}

// RecordDrill adds a drill outcome to a host's history; a drill it already
// holds (one read at start and again by a shared record's watch) is not
// added twice.
func (s *Store) RecordDrill(d DrillRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byName[d.Host]
	if !ok {
		return
	}
	for _, r := range e.status.Drills[d.Backup].Recent {
		if d.DrillID != "" && r.DrillID == d.DrillID && r.Time.Equal(d.Time) {
			return
		}
	}
	// Copy-on-write: snapshots handed out earlier keep their map.
	drills := make(map[string]DrillSummary, len(e.status.Drills)+1)
	for k, v := range e.status.Drills {
		drills[k] = v
	}
	sum := drills[d.Backup]
	if sum.Last == nil || !d.Time.Before(sum.Last.Time) {
		sum.Last = &d
	}
	if d.Passed && (sum.LastPass == nil || !d.Time.Before(sum.LastPass.Time)) {
		sum.LastPass = &d
	}
	// Recent stays newest first and bounded; a new slice, for the snapshots.
	recent := make([]DrillRecord, 0, RecentDrills+1)
	at := 0
	for at < len(sum.Recent) && sum.Recent[at].Time.After(d.Time) {
		at++
	}
	recent = append(append(append(recent, sum.Recent[:at]...), d), sum.Recent[at:]...)
	sum.Recent = recent[:min(len(recent), RecentDrills)]
	drills[d.Backup] = sum
	e.status.Drills = drills
	s.version++
	e.ver = s.version
}

// DrillsOf is what is known of a backup's restore drills.
func (st *HostStatus) DrillsOf(backup string) DrillSummary {
	sum := st.Drills[backup]
	sum.Unknown = st.DrillsUnknown
	return sum
}

// SetDrillsUnknown says, for every host, why the drill history could not
// be read; "" once it has been.
func (s *Store) SetDrillsUnknown(why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++
	for _, e := range s.hosts {
		e.status.DrillsUnknown = why
		e.ver = s.version
	}
}

// SetNote marks a host as not pollable, with the reason.
func (s *Store) SetNote(host, note string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.byName[host]; ok {
		e.status.Note = note
		s.version++
		e.ver = s.version
	}
}

// Version increases with every change; readers rebuild only when it moved.
func (s *Store) Version() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version
}

// Shape counts the changes of which hosts the store holds (a reload, a
// host read back from the pollers, one gone): a reader that keeps hosts
// by place reads them all again when it moves.
func (s *Store) Shape() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.shape
}

// Snapshot copies every host's status, in config order, with the version
// it reflects.
func (s *Store) Snapshot() ([]HostStatus, uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]HostStatus, len(s.hosts))
	for i, e := range s.hosts {
		out[i] = e.status
	}
	return out, s.version
}

// Status copies one host's status.
func (s *Store) Status(host string) (HostStatus, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.byName[host]
	if !ok {
		return HostStatus{}, false
	}
	return e.status, true
}

// Changed copies the status of every host changed after version since, in
// config order, with the version it reflects: readers update only what
// moved.
func (s *Store) Changed(since uint64) ([]HostStatus, uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []HostStatus
	for _, e := range s.hosts {
		if e.ver > since {
			out = append(out, e.status)
		}
	}
	return out, s.version
}

// History returns copies of a host's CPU and memory percentages, oldest
// first.
func (s *Store) History(host string) (cpu, mem []float64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.byName[host]
	if !ok {
		return nil, nil
	}
	return e.cpu.values(), e.mem.values()
}

// ring keeps the most recent percentages, in hundredths of a percent (up
// to 655.35): two bytes a value instead of eight, as precise as any screen
// shows them. It fills as values come: a host never polled holds none.
type ring struct {
	buf  []uint16
	next int // the oldest value, once buf is full
}

func newRing(n int) ring { return ring{buf: make([]uint16, 0, n)} }

func (r *ring) push(v float64) {
	h := uint16(math.Round(min(max(v, 0), math.MaxUint16/100.0) * 100))
	if len(r.buf) < cap(r.buf) {
		r.buf = append(r.buf, h)
		return
	}
	r.buf[r.next] = h
	r.next = (r.next + 1) % len(r.buf)
}

func (r *ring) values() []float64 {
	out := make([]float64, 0, len(r.buf))
	for _, h := range r.buf[r.next:] {
		out = append(out, float64(h)/100)
	}
	for _, h := range r.buf[:r.next] {
		out = append(out, float64(h)/100)
	}
	return out
}

// Host is the store's host named name (the fleet as reloaded), or nil.
func (s *Store) Host(name string) *Host {
	if st, ok := s.Status(name); ok {
		return st.Host
	}
	return nil
}
