package tui

import (
	"errors"
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/fleet"
	"github.com/opsdeck/opsdeck/fleet/config"
)

// ReloadMsg is a reload's news (config.Reloaded): the fleet reloaded,
// or a reload refused.
type ReloadMsg = config.Reloaded

// reloaded takes a reload's news: the table shows the new fleet (every
// other host's row as it was, the cursor on the same host) and the header
// says when and what changed; a refused reload says why on the status
// line, with file:line.
func (m *Model) reloaded(msg ReloadMsg) {
	c := m.c
	if msg.Err != nil {
		c.fail("config not reloaded, the fleet runs as it was: %s", firstProblem(msg.Err))
		return
	}
	if msg.Config != nil {
		c.opt.Config = msg.Config
		fresh := newFleetData(msg.Config, c.opt.Store)
		c.data.anyServices, c.data.anyBackups, c.data.anySecurity = fresh.anyServices, fresh.anyBackups, fresh.anySecurity
		c.data.refresh(c.now, true)
		m.table.refleet()
		m.table.arrange()
		c.sized = false
		c.reloaded = "reloaded " + msg.At.In(c.opt.Location).Format("15:04:05") + ": " + msg.Summary
	}
	if len(msg.Notes) > 0 {
		more := ""
		if len(msg.Notes) > 1 {
			more = fmt.Sprintf(" (+%d more: opsdeck config check)", len(msg.Notes)-1)
		}
		c.fail("%s%s", fleet.Sanitize(msg.Notes[0], 300), more)
	}
}

// firstProblem is the first line of a load's error, with how many more.
func firstProblem(err error) string {
	var ps fleet.Problems
	if errors.As(err, &ps) && len(ps) > 0 {
		if len(ps) == 1 {
			return ps[0].Error()
		}
		return fmt.Sprintf("%s (+%d more: opsdeck config check)", ps[0].Error(), len(ps)-1)
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	return first
}

// refleet fits the table to a reloaded fleet: marks of hosts that left are
// dropped, and the sort orders are those of the new fleet's columns (the
// same order kept by name, else the first).
func (t *tableModel) refleet() {
	for name := range t.marked {
		if _, ok := t.c.data.row(name); !ok {
			delete(t.marked, name)
		}
	}
	current := t.orders[t.sortBy].name
	t.orders, t.sortBy = sortOrders(t.c.data), 0
	for i, o := range t.orders {
		if o.name == current {
			t.sortBy = i
		}
	}
}
