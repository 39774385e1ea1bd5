package probe

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// StatusCommand is the shell command that reports a service's status,
// every configured value quoted (its kind's, fleet.ServiceKinds).
func StatusCommand(s *fleet.Service) string {
	k := fleet.ServiceKindNamed(s.Kind)
	if k == nil {
		return "false"
	}
	return fleet.WithSudo(s.Sudoed(), k.Status(s)) + " 2>&1"
}

// ParseService reads one service's status section. uptime is the host's
// uptime from the same probe (systemd reports monotonic timestamps); at is
// when the probe ran.
func ParseService(s *fleet.Service, sec *Section, uptime time.Duration, at time.Time) fleet.ServiceStatus {
	st := fleet.ServiceStatus{Name: s.Name, Kind: s.Kind, Restarts: -1}
	if sec == nil {
		st.Err = "probe printed no status for it"
		return st
	}
	if !sec.Complete {
		st.Err = "status output was cut short"
		return st
	}
	text := strings.Join(sec.Lines, "\n")
	if msg := sudoProblem(text); msg != "" {
		st.Err = msg
		return st
	}
	var err error
	switch s.Kind {
	case "systemd":
		err = parseSystemd(&st, sec, uptime, at)
	case "supervisor":
		err = parseSupervisor(&st, s.Program, sec, at)
	case "docker":
		err = parseDocker(&st, sec)
	case "pm2":
		err = parsePM2(&st, s.Program, sec, at)
	case "process":
		err = parseProcess(&st, sec)
	default:
		err = fmt.Errorf("unknown kind %q", s.Kind)
	}
	if err != nil {
		st = fleet.ServiceStatus{Name: s.Name, Kind: s.Kind, Restarts: -1, Err: fleet.Sanitize(err.Error(), 200)}
	}
	st.State = fleet.Sanitize(st.State, 32)
	st.Detail = fleet.Sanitize(st.Detail, 120)
	return st
}

// sudoProblem recognises sudo refusing to run without a password.
func sudoProblem(out string) string {
	switch {
	case strings.Contains(out, "sudo: a password is required"), strings.Contains(out, "sudo: a terminal is required"):
		return "sudo needs a password on this host: allow the command with NOPASSWD in sudoers"
	case strings.Contains(out, "sudo: command not found"), strings.Contains(out, "sudo: not found"):
		return "sudo is not installed on this host"
	}
	return ""
}

func boolp(b bool) *bool { return &b }

func parseSystemd(st *fleet.ServiceStatus, sec *Section, uptime time.Duration, at time.Time) error {
	kv := map[string]string{}
	for _, l := range sec.Lines {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			return fmt.Errorf("systemctl: unexpected line %q", clip(l))
		}
		kv[k] = v
	}
	if sec.Exit != 0 || kv["ActiveState"] == "" {
		return fmt.Errorf("systemctl show failed (exit %d): %s", sec.Exit, clip(strings.Join(sec.Lines, " ")))
	}
	if kv["LoadState"] == "not-found" {
		st.State, st.Detail = "NOT-FOUND", "no such unit"
		return nil
	}
	st.State = strings.ToUpper(kv["ActiveState"])
	if sub := kv["SubState"]; sub != "" {
		st.Detail = sub
	}
	st.Running = kv["ActiveState"] == "active" || kv["ActiveState"] == "reloading"
	if pid, err := strconv.Atoi(kv["MainPID"]); err == nil && pid > 0 {
		st.PID = pid
	}
	if n, err := strconv.Atoi(kv["NRestarts"]); err == nil && n >= 0 {
		st.Restarts = n
	}
	switch kv["UnitFileState"] {
	case "enabled", "enabled-runtime", "static", "indirect", "generated", "alias":
		st.Enabled = boolp(true)
	case "disabled", "masked", "masked-runtime", "linked", "linked-runtime":
		st.Enabled = boolp(false)
	}
	if r := kv["Restart"]; r != "" {
		st.AutoRestart = boolp(r != "no")
	}
	if mono, err := strconv.ParseInt(kv["ActiveEnterTimestampMonotonic"], 10, 64); err == nil && mono > 0 && uptime > 0 {
		st.Since = at.Add(-uptime).Add(time.Duration(mono) * time.Microsecond)
	}
	return nil
}

// parseSupervisor reads `supervisorctl status PROGRAM`:
//
//	api                              RUNNING   pid 1234, uptime 0:01:02
//	api                              FATAL     Exited too quickly (process log may have details)
//	api: ERROR (no such process)
func parseSupervisor(st *fleet.ServiceStatus, program string, sec *Section, at time.Time) error {
	for _, l := range sec.Lines {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if strings.Contains(l, "ERROR (no such process)") || strings.Contains(l, "ERROR (no such group)") {
			st.State, st.Detail = "NOT-FOUND", "no such program in supervisord"
			return nil
		}
		if strings.Contains(l, "refused connection") || strings.Contains(l, "no such file") || strings.Contains(l, "SHUTDOWN_STATE") {
			return fmt.Errorf("supervisord is not answering: %s", clip(l))
		}
		if len(f) < 2 || (f[0] != program && !strings.HasSuffix(f[0], ":"+program)) {
			continue
		}
		st.State = f[1]
		st.Running = f[1] == "RUNNING"
		rest := strings.TrimSpace(strings.Join(f[2:], " "))
		if st.Running {
			pidPart, upPart, _ := strings.Cut(rest, ",")
			if p, ok := strings.CutPrefix(strings.TrimSpace(pidPart), "pid "); ok {
				if pid, err := strconv.Atoi(p); err == nil {
					st.PID = pid
				}
			}
			if u, ok := strings.CutPrefix(strings.TrimSpace(upPart), "uptime "); ok {
				if d, err := parseSupervisorUptime(u); err == nil {
					st.Since = at.Add(-d)
				}
			}
		} else {
			st.Detail = rest
		}
		return nil
	}
	return fmt.Errorf("supervisorctl: no status line for %q (exit %d): %s", program, sec.Exit, clip(strings.Join(sec.Lines, " ")))
}

// parseSupervisorUptime reads "0:01:02" or "2 days, 3:04:05".
func parseSupervisorUptime(s string) (time.Duration, error) {
	var days int
	if d, rest, ok := strings.Cut(s, " day"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(d))
		if err != nil {
			return 0, err
		}
		days = n
		_, s, _ = strings.Cut(rest, ",")
		s = strings.TrimSpace(s)
	}
	p := strings.Split(s, ":")
	if len(p) != 3 {
		return 0, errors.New("bad uptime")
	}
	var v [3]int
	for i := range p {
		n, err := strconv.Atoi(p[i])
		if err != nil || n < 0 {
			return 0, errors.New("bad uptime")
		}
		v[i] = n
	}
	return time.Duration(days)*24*time.Hour + time.Duration(v[0])*time.Hour + time.Duration(v[1])*time.Minute + time.Duration(v[2])*time.Second, nil
}

func parseDocker(st *fleet.ServiceStatus, sec *Section) error {
	if sec.Exit != 0 || len(sec.Lines) != 1 {
		msg := clip(strings.Join(sec.Lines, " "))
		if strings.Contains(msg, "No such object") || strings.Contains(msg, "No such container") {
			st.State, st.Detail = "NOT-FOUND", "no such container"
			return nil
		}
		return fmt.Errorf("docker inspect failed (exit %d): %s", sec.Exit, msg)
	}
	f := strings.Split(sec.Lines[0], "|")
	if len(f) != 7 {
		return fmt.Errorf("docker inspect: unexpected %q", clip(sec.Lines[0]))
	}
	st.State = strings.ToUpper(f[0])
	st.Running = f[1] == "true"
	if pid, err := strconv.Atoi(f[2]); err == nil && pid > 0 {
		st.PID = pid
	}
	if t, err := time.Parse(time.RFC3339Nano, f[3]); err == nil && t.Year() > 1 && st.Running {
		st.Since = t
	}
	if n, err := strconv.Atoi(f[4]); err == nil && n >= 0 {
		st.Restarts = n
	}
	policy := f[5]
	st.AutoRestart = boolp(policy == "always" || policy == "unless-stopped" || policy == "on-failure")
	st.Enabled = boolp(policy == "always" || policy == "unless-stopped")
	if health := f[6]; health != "" {
		st.Detail = health
		if health == "unhealthy" {
			st.Running = false
			st.State = "UNHEALTHY"
		}
	}
	return nil
}

type pm2Proc struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
	Env  struct {
		Status      string `json:"status"`
		RestartTime int    `json:"restart_time"`
		Autorestart *bool  `json:"autorestart"`
		PmUptime    int64  `json:"pm_uptime"`
	} `json:"pm2_env"`
}

func parsePM2(st *fleet.ServiceStatus, name string, sec *Section, at time.Time) error {
	if sec.Exit != 0 {
		return fmt.Errorf("pm2 jlist failed (exit %d): %s", sec.Exit, clip(strings.Join(sec.Lines, " ")))
	}
	// pm2 may print notices first ("[PM2] Spawning PM2 daemon…"): the
	// JSON is the line that starts with "[{" (or is "[]").
	start := -1
	for i, l := range sec.Lines {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "[{") || t == "[]" {
			start = i
			break
		}
	}
	if start < 0 {
		return errors.New("pm2 jlist printed no JSON")
	}
	var procs []pm2Proc
	if err := json.Unmarshal([]byte(strings.Join(sec.Lines[start:], "\n")), &procs); err != nil {
		return fmt.Errorf("pm2 jlist: %v", err)
	}
	for _, p := range procs {
		if p.Name != name {
			continue
		}
		st.State = strings.ToUpper(p.Env.Status)
		st.Running = p.Env.Status == "online"
		if p.PID > 0 {
			st.PID = p.PID
		}
		if p.Env.RestartTime >= 0 {
			st.Restarts = p.Env.RestartTime
		}
		st.AutoRestart = p.Env.Autorestart
		if p.Env.PmUptime > 0 && st.Running {
			if t := time.UnixMilli(p.Env.PmUptime); t.Before(at.Add(time.Minute)) {
				st.Since = t
			}
		}
		return nil
	}
	st.State, st.Detail = "NOT-FOUND", "no such pm2 app"
	return nil
}

func parseProcess(st *fleet.ServiceStatus, sec *Section) error {
	switch sec.Exit {
	case 0:
	case 1:
		st.State, st.Detail = "NOT-RUNNING", "no matching process"
		return nil
	default:
		return fmt.Errorf("pgrep failed (exit %d): %s", sec.Exit, clip(strings.Join(sec.Lines, " ")))
	}
	for _, l := range sec.Lines {
		pid, err := strconv.Atoi(strings.TrimSpace(l))
		if err != nil || pid <= 0 {
			return fmt.Errorf("pgrep: unexpected %q", clip(l))
		}
		if st.PID == 0 {
			st.PID = pid
		}
	}
	if st.PID == 0 {
		return errors.New("pgrep printed no pid")
	}
	st.State, st.Running = "RUNNING", true
	return nil
}

// restarts follows each service across polls to count restarts: from the
// kind's own counter where it has one, from PID changes where it has not.
type restarts struct {
	seen map[string]*history
	// ours: restarts opsdeck itself is doing, by service, until when they
	// may show: the next one seen is not counted (not a crash, not a flap).
	ours map[string]time.Time
}

// expect notes that opsdeck restarts service now.
func (r *restarts) expect(service string, at time.Time) {
	if r.ours == nil {
		r.ours = map[string]time.Time{}
	}
	r.ours[service] = at.Add(ownRestartWindow)
}

// ownRestartWindow is how long after opsdeck restarted a service a new PID
// (or a counter step) is taken for that restart.
const ownRestartWindow = 2 * time.Minute

// own reports, once, whether a restart seen at 'at' is one opsdeck did.
func (r *restarts) own(service string, at time.Time) bool {
	until, ok := r.ours[service]
	if ok {
		delete(r.ours, service)
	}
	return ok && !at.After(until)
}

type history struct {
	pid, count, observed int
	events               []time.Time
}

// apply fills Restarts (for kinds without a counter) and Recent.
func (r *restarts) apply(st *fleet.ServiceStatus, at time.Time) {
	if st.Err != "" {
		return
	}
	if r.seen == nil {
		r.seen = map[string]*history{}
	}
	h, ok := r.seen[st.Name]
	if !ok {
		h = &history{count: -1}
		r.seen[st.Name] = h
	}
	switch {
	case st.Restarts >= 0: // the kind counts
		if h.count >= 0 && st.Restarts > h.count {
			n := st.Restarts - h.count
			if r.own(st.Name, at) {
				n--
			}
			for i := 0; i < min(n, 2*fleet.FlapRestarts); i++ {
				h.events = append(h.events, at)
			}
		}
		h.count = st.Restarts
	default: // a new PID after a running one is a restart
		if h.pid > 0 && st.PID > 0 && st.PID != h.pid && !r.own(st.Name, at) {
			h.events = append(h.events, at)
			h.observed++
		}
		st.Restarts = h.observed
	}
	if st.PID > 0 {
		h.pid = st.PID
	}
	keep := h.events[:0]
	for _, e := range h.events {
		if at.Sub(e) <= fleet.FlapWindow {
			keep = append(keep, e)
		}
	}
	h.events = keep
	st.Recent = len(keep)
}
