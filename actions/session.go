package actions

import "time"

// Session is an interactive session the operator opened on a host (a
// shell): its intent is recorded before it starts and its end after, like
// an action's, with the same id.
type Session struct {
	m     *Manager
	entry Entry
	start time.Time
}

// OpenSession records that the operator opens kind ("shell") on host with
// command; it is refused in read-only mode, and when the audit log cannot
// be written nothing may start.
func (m *Manager) OpenSession(host string, kind Kind, command string) (*Session, error) {
	if m.ReadOnly {
		return nil, ErrReadOnly
	}
	now := time.Now()
	e := Entry{ID: NewAuditID(), Time: now.UTC(), Operator: m.Operator, Host: host, Kind: kind, Target: host, Command: command, Outcome: Started}
	if err := m.Audit.Append(e); err != nil {
		return nil, err
	}
	return &Session{m: m, entry: e, start: now}, nil
}

// Close records how the session ended: its exit status, or why it could
// not run.
func (s *Session) Close(exit int, err error) error {
	e := s.entry
	e.Time, e.DurationMS = time.Now().UTC(), time.Since(s.start).Milliseconds()
	e.Exit, e.Outcome = &exit, Succeeded
	if err != nil {
		e.Outcome, e.Reason = Failed, err.Error()
	}
	return s.m.Audit.Append(e)
}
