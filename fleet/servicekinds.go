package fleet

import (
	"fmt"
	"strings"
)

// ServiceKind is everything opsdeck knows of one kind of service: the
// config fields it needs and uses, and the commands that read its status,
// restart it and follow its log, every configured name quoted. Adding a
// kind is one entry here, plus its status parser (probe.ParseService).
type ServiceKind struct {
	Name  string
	Needs []string // required fields: unit, program…
	Uses  []string // every field it reads, Needs included (any other is an error)
	// Status prints its state; its parser reads it.
	Status func(s *Service) string
	// Restart and Log are its commands; nil for a kind that runs the
	// service's own (kind process: restart = "…", log = "…").
	Restart func(s *Service) string
	Log     func(s *Service, lines int) string
	// Cheap: between full reads, a live main PID's /proc is enough.
	Cheap bool
	// Enable and AutoRestart say how to make it start at boot and come
	// back when it dies ("" when the kind cannot tell).
	Enable, AutoRestart func(s *Service) string
}

// ServiceKinds are the kinds of service opsdeck watches.
var ServiceKinds = []ServiceKind{
	{Name: "systemd", Needs: []string{"unit"}, Uses: []string{"unit"}, Cheap: true,
		Status: func(s *Service) string {
			return "systemctl show --no-pager -p Id,LoadState,ActiveState,SubState,MainPID,NRestarts,UnitFileState,Restart,ActiveEnterTimestampMonotonic -- " + Quote(s.Unit)
		},
		Restart: func(s *Service) string { return "systemctl restart -- " + Quote(s.Unit) },
		Log: func(s *Service, n int) string {
			return fmt.Sprintf("journalctl --no-pager -n %d -f -u %s", n, Quote(s.Unit))
		},
		Enable: func(s *Service) string { return "systemctl enable " + s.Unit },
		AutoRestart: func(s *Service) string {
			return "set Restart=on-failure in its unit's [Service] (systemctl edit " + s.Unit + "), then systemctl daemon-reload"
		}},
	{Name: "supervisor", Needs: []string{"program"}, Uses: []string{"program", "conf"}, Cheap: true,
		Status:  func(s *Service) string { return supervisorctl(s) + " status " + Quote(s.Program) },
		Restart: func(s *Service) string { return supervisorctl(s) + " restart " + Quote(s.Program) },
		Log:     func(s *Service, _ int) string { return supervisorctl(s) + " tail -f " + Quote(s.Program) }},
	{Name: "docker", Needs: []string{"container"}, Uses: []string{"container"}, Cheap: true,
		Status: func(s *Service) string {
			return "docker inspect --format " + Quote(DockerFormat) + " -- " + Quote(s.Container)
		},
		Restart: func(s *Service) string { return "docker restart -- " + Quote(s.Container) },
		Log: func(s *Service, n int) string {
			return fmt.Sprintf("docker logs --tail %d -f %s", n, Quote(s.Container))
		},
		Enable:      func(s *Service) string { return "docker update --restart unless-stopped " + s.Container },
		AutoRestart: func(s *Service) string { return "docker update --restart unless-stopped " + s.Container }},
	{Name: "pm2", Needs: []string{"program"}, Uses: []string{"program"}, Cheap: true,
		Status:  func(*Service) string { return "pm2 jlist" },
		Restart: func(s *Service) string { return "pm2 restart " + Quote(s.Program) },
		Log: func(s *Service, n int) string {
			return fmt.Sprintf("pm2 logs --lines %d --raw %s", n, Quote(s.Program))
		},
		AutoRestart: func(s *Service) string {
			return "start " + s.Program + " with autorestart: true in its pm2 ecosystem file (not --no-autorestart), then pm2 save"
		}},
	{Name: "process", Needs: []string{"pattern"}, Uses: []string{"pattern", "restart", "log"},
		Status: func(s *Service) string { return "pgrep -f -- " + Quote(s.Pattern) }},
}

// DockerFormat is what docker inspect prints of a container's state.
const DockerFormat = `{{.State.Status}}|{{.State.Running}}|{{.State.Pid}}|{{.State.StartedAt}}|{{.RestartCount}}|{{.HostConfig.RestartPolicy.Name}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}`

// ServiceKindNamed is the kind of a name, nil for none.
func ServiceKindNamed(name string) *ServiceKind {
	for i := range ServiceKinds {
		if ServiceKinds[i].Name == name {
			return &ServiceKinds[i]
		}
	}
	return nil
}

// supervisorctl is the supervisorctl of a service, with its conf when set.
func supervisorctl(s *Service) string {
	if s.Conf != "" {
		return "supervisorctl -c " + Quote(s.Conf)
	}
	return "supervisorctl"
}

// Quote makes s one literal word for a POSIX shell: a value reaches a
// remote shell as data, never as code.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// WithSudo is cmd run through sudo -n when on (never asking for a
// password): the one place opsdeck adds it. A command that is a shell
// script (a backup's, a drill's) goes as sh -c SCRIPT.
func WithSudo(on bool, cmd string) string {
	if !on {
		return cmd
	}
	return "sudo -n " + cmd
}

// SudoScript is a shell script run through sudo -n sh -c when on.
func SudoScript(on bool, script string) string {
	if !on {
		return script
	}
	return WithSudo(true, "sh -c "+Quote(script))
}

// Sudoed says whether the service's commands run through sudo.
func (s *Service) Sudoed() bool { return s.Sudo != nil && *s.Sudo }
