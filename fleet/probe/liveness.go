package probe

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// FullStatusEvery is how often a service's full status (supervisorctl,
// systemctl show, docker inspect, pm2 jlist) is asked for while its main
// process lives on. In between, each poll only reads /proc/PID/stat of the
// process the last full status named: supervisorctl is a Python start
// (about 0.3 CPU-s), pm2 a Node one, and a monitor must cost its host less
// than what it watches. A changed or vanished process, a restart by
// opsdeck and a re-check all ask for the full status again at once.
var FullStatusEvery = 5 * time.Minute

// liveness remembers each service's last full status and its main
// process, so that a poll can check the process alone.
type liveness struct {
	mu    sync.Mutex
	known map[string]*knownService // by service name
}

type knownService struct {
	status fleet.ServiceStatus // the last full status
	at     time.Time           // when it was read
	start  string              // the process's start time (field 22 of /proc/PID/stat), "" until read
}

// cheap says which kinds name one main process whose /proc entry stands
// for the service ("process" services are matched by pattern: pgrep is
// their status, and as cheap).
func cheap(kind string) bool {
	k := fleet.ServiceKindNamed(kind)
	return k != nil && k.Cheap
}

// command is the status step of a service: the process check when the
// last full status is recent and named a live main process, else the full
// status command. The process check prints "$m-alive PID START" (the
// script's nonce marker: host data cannot imitate it) when the process
// still runs with the start time seen before (or, the first time, any), and
// runs the full status otherwise.
func (l *liveness) command(s *fleet.Service, now time.Time) string {
	full := StatusCommand(s)
	l.mu.Lock()
	k := l.known[s.Name]
	l.mu.Unlock()
	if !cheap(s.Kind) || k == nil || !k.status.Running || k.status.PID <= 0 || k.status.Err != "" || now.Sub(k.at) >= FullStatusEvery {
		return full
	}
	pid := strconv.Itoa(k.status.PID)
	same := `[ -n "$1" ]`
	if k.start != "" {
		same = `[ "${20}" = ` + Quote(k.start) + ` ]`
	}
	// /proc/PID/stat: "PID (comm) STATE … starttime(22) …"; comm may hold
	// spaces and ") ", so fields are counted after the last ") ". The
	// shell reads and cuts it itself: no process to start. A zombie is not
	// alive.
	return `l=; { read -r l < /proc/` + pid + `/stat; } 2>/dev/null; set -- ${l##*) }; if ` + same +
		` && [ "$1" != Z ] && [ "$1" != X ]; then echo "$m-alive ` + pid + ` ${20}"; else ` + full + `; fi`
}

// apply replaces the status of each service whose section says its
// process is alive by the last full status, and remembers each full
// status read.
func (l *liveness) apply(services []fleet.Service, secs map[string]*Section, nonce string, sts []fleet.ServiceStatus, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.known == nil {
		l.known = map[string]*knownService{}
	}
	marker := "@@opsdeck-" + nonce + "-alive "
	for i := range services {
		if i >= len(sts) {
			break
		}
		name := services[i].Name
		sec := secs[fmt.Sprintf("svc%d", i)]
		k := l.known[name]
		if sec != nil && sec.Complete && len(sec.Lines) == 1 && strings.HasPrefix(sec.Lines[0], marker) && k != nil {
			f := strings.Fields(strings.TrimPrefix(sec.Lines[0], marker))
			if len(f) == 2 && f[0] == strconv.Itoa(k.status.PID) {
				if k.start != f[1] {
					k.start = strings.Clone(f[1]) // not a slice of the whole output
				}
				sts[i] = k.status
				continue
			}
		}
		l.known[name] = &knownService{status: sts[i], at: at}
	}
}

// forget makes the next poll read a service's full status ("" for all).
func (l *liveness) forget(service string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for name := range l.known {
		if service == "" || name == service {
			delete(l.known, name)
		}
	}
}
