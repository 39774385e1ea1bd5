package actions

import (
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/fleet"
)

// PlanCommand plans a runbook command of h's (fleet.Command): its
// placeholders replaced by the host's own values, each shell-quoted, sudo
// -n when it wants it. A change command is disruptive (confirmed like a
// restart); an inspect one may run in read-only mode when the config says
// so.
func PlanCommand(h *fleet.Host, name string) (*Plan, error) {
	for i := range h.Commands {
		c := &h.Commands[i]
		if c.Name != name {
			continue
		}
		cmd := strings.NewReplacer(fleet.PlaceholderHost, fleet.Quote(h.Name), fleet.PlaceholderAddress, fleet.Quote(h.Address)).Replace(c.Command)
		return &Plan{Kind: KindRun, Host: h, Target: c.Name, Command: fleet.WithSudo(c.Sudo != nil && *c.Sudo, cmd),
			Disruptive: c.Kind == "change", Timeout: c.Timeout.Duration, ReadOnlyOK: c.Kind == "inspect" && c.ReadOnlyOK}, nil
	}
	return nil, fmt.Errorf("host %s has no command %q", h.Name, name)
}
