package tui

import (
	"sort"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/fleet"
)

// openRestart opens the dialog for restarting on hosts: straight to the
// confirmation when the service is known, else a choice of the services
// the hosts share.
func openRestart(c *common, hosts []*fleet.Host, service string) {
	if why := readOnlyWhy(c.opt); why != "" {
		c.fail("restart is disabled: %s", why)
		return
	}
	if len(hosts) == 0 {
		return
	}
	if service == "" {
		shared := sharedServices(hosts)
		switch len(shared) {
		case 0:
			c.fail("no service is configured on every selected host")
			return
		case 1: // nothing to choose
			service = shared[0]
		default:
			c.push(&chooseModel{dialogBase: dialogBase{base{c}}, hosts: hosts, choices: shared})
			return
		}
	}
	var plans []*actions.Plan
	for _, h := range hosts {
		p, err := actions.PlanRestart(h, service)
		if err != nil {
			c.fail("%v", err)
			return
		}
		plans = append(plans, p)
	}
	openConfirm(c, plans, nil)
}

func openConfirm(c *common, plans []*actions.Plan, drill *actions.Drill) {
	c.push(&confirmModel{dialogBase: dialogBase{base{c}}, plans: plans, drill: drill, want: actions.Confirmation(plans), down: downReason(c, plans)})
}

func sharedServices(hosts []*fleet.Host) []string {
	count := map[string]int{}
	for _, h := range hosts {
		for _, s := range h.Services {
			count[s.Name]++
		}
	}
	var out []string
	for name, n := range count {
		if n == len(hosts) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// openSnapshot asks to confirm a backup's snapshot command.
func openSnapshot(c *common, h *fleet.Host, backup string) {
	if why := readOnlyWhy(c.opt); why != "" {
		c.fail("snapshot is disabled: %s", why)
		return
	}
	p, err := actions.PlanSnapshot(h, backup)
	if err != nil {
		c.fail("%v", err)
		return
	}
	openConfirm(c, []*actions.Plan{p}, nil)
}

// openDrill asks to confirm a restore drill of the newest artefact the
// last backup check saw.
func openDrill(c *common, r *hostRow, backup string) {
	if why := readOnlyWhy(c.opt); why != "" {
		c.fail("restore drill is disabled: %s", why)
		return
	}
	var newest *fleet.BackupStatus
	if r.status.Last != nil {
		for i := range r.status.Last.Backups {
			if r.status.Last.Backups[i].Name == backup {
				newest = &r.status.Last.Backups[i]
			}
		}
	}
	d, err := actions.PlanDrill(r.status.Host, backup, newest, c.opt.Config.Hosts, c.now)
	if err != nil {
		c.fail("%v", err)
		return
	}
	openConfirm(c, []*actions.Plan{d.Plan}, d)
}

// drillRow is the drill key on a fleet row: the host's one drillable
// backup is drilled; with several, its detail opens to pick one; with
// none, the status line says why.
func drillRow(c *common, r *hostRow) {
	h := r.status.Host
	var can []string
	for i := range h.Backups {
		if actions.Drillable(&h.Backups[i]) {
			can = append(can, h.Backups[i].Name)
		}
	}
	switch {
	case len(h.Backups) == 0:
		c.fail("%s has no backups configured: nothing to drill", h.Name)
	case len(can) == 0:
		c.fail("no backup of %s can be drilled: give it restore and verify commands (or kind = \"restic\")", h.Name)
	case len(can) == 1:
		openDrill(c, r, can[0])
	default:
		c.push(newDetailModel(c, h))
		c.note("%s has %d backups to drill: pick one, then %s", h.Name, len(can), c.keys.Drill.Help().Key)
	}
}

// downReason names the plans' hosts the poller shows DOWN, with why.
func downReason(c *common, plans []*actions.Plan) string {
	var parts []string
	for _, p := range plans {
		if r, ok := c.data.row(p.Host.Name); ok && r.health.State == fleet.Down {
			parts = append(parts, p.Host.Name+" is DOWN: "+fleet.Sanitize(r.health.Reason, 120))
		}
	}
	return strings.Join(parts, "\n")
}

// skipDown says why a rolling restart skips a host: the poller shows it
// DOWN now (read from the store: the run is not on the UI goroutine).
func skipDown(store *fleet.Store) func(*actions.Plan) string {
	return func(p *actions.Plan) string {
		st, ok := store.Status(p.Host.Name)
		if !ok {
			return ""
		}
		if h := fleet.Assess(&st, time.Now()); h.State == fleet.Down {
			return "host is DOWN: " + fleet.Sanitize(h.Reason, 120)
		}
		return ""
	}
}

// runPlans starts confirmed plans: one host at once, or rolling when there
// are several (a runbook command: in parallel, bounded); a drill is recorded in the drill history. Its output opens
// in the output pane.
func runPlans(c *common, plans []*actions.Plan, drill *actions.Drill) {
	q := actions.Request{Plans: plans, Healthy: c.opt.Healthy, Drill: drill, Drills: c.opt.Drills, Skip: skipDown(c.data.store)}
	if plans[0].Kind == actions.KindRun { // a runbook command: on every host at once, bounded
		q = actions.Request{Plans: plans, Parallel: parallelOf(c.opt.Config), Skip: skipDown(c.data.store)}
	}
	if drill != nil {
		q.OnDrill = c.data.store.RecordDrill
	}
	showRun(c, c.opt.Actions.Start(c.opt.Context, q))
}
