package tui

import (
	"fmt"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// column is one column of the fleet table, declared once: its title,
// width, when it gives way on a narrow terminal, its cell and its sort key.
type column struct {
	title string
	width int
	left  bool // left-aligned (else right)
	// drop orders the columns that give way when REASON would get fewer
	// than minReason cells: lowest first; 0 never gives way.
	drop int
	show func(d *fleetData) bool // nil: always shown
	cell func(t *tableModel, r *hostRow) string
	// key sorts the column, highest first; ok false sorts last. nil: the
	// column does not sort.
	key func(r *hostRow, now time.Time) (v float64, ok bool)
}

// minReason is what REASON keeps on a narrow terminal.
const minReason = 30

// columns are the table's columns, left to right; REASON takes the rest.
var columns = []column{
	{title: "HOST", left: true, cell: hostCell},
	{title: "ENV", width: 7, left: true, drop: 3, cell: envCell},
	{title: "STATE", width: 9, left: true, cell: stateCell, key: stateKey},
	{title: "CPU", width: 4, drop: 10, cell: metricCell("cpu"), key: metricKey("cpu")},
	{title: "MEM", width: 4, drop: 6, cell: metricCell("memory"), key: metricKey("memory")},
	{title: "DISK", width: 4, drop: 11, cell: metricCell("disk"), key: metricKey("disk")},
	{title: "LOAD", width: 5, drop: 2, cell: metricCell("load"), key: metricKey("load")},
	{title: "UP", width: 5, drop: 1, cell: uptimeCell, key: uptimeKey},
	{title: "SVC", width: 5, drop: 8, show: func(d *fleetData) bool { return d.anyServices }, cell: serviceCell},
	{title: "BACKUP", width: 6, drop: 9, show: func(d *fleetData) bool { return d.anyBackups }, cell: backupCell, key: backupKey},
	{title: "DRILL", width: 6, drop: 7, show: func(d *fleetData) bool { return d.anyBackups }, cell: drillCell, key: drillKey},
	{title: "SEC", width: 4, drop: 4, show: func(d *fleetData) bool { return d.anySecurity }, cell: securityCell},
	{title: "AGE", width: 4, drop: 5, cell: ageCell, key: ageKey},
}

// layoutColumns picks the columns shown at width and their widths: the
// ones that give way are dropped, lowest drop first, until REASON has
// minReason cells; then HOST shrinks to 8. It returns the columns and
// REASON's width.
func layoutColumns(d *fleetData, visible []int, width int) ([]column, int) {
	var cols []column
	for _, c := range columns {
		if c.show == nil || c.show(d) {
			cols = append(cols, c)
		}
	}
	longest := 4
	for _, i := range visible {
		longest = max(longest, len(d.hosts[i].status.Host.Name))
	}
	cols[0].width = min(longest, 24)
	used := func() int {
		n := 2 // cursor and band
		for _, c := range cols {
			n += c.width + 1
		}
		return n
	}
	for width-used() < minReason {
		at := -1
		for i, c := range cols {
			if c.drop > 0 && (at < 0 || c.drop < cols[at].drop) {
				at = i
			}
		}
		if at < 0 {
			break
		}
		cols = append(cols[:at:at], cols[at+1:]...)
	}
	if short := minReason - (width - used()); short > 0 {
		cols[0].width = max(8, cols[0].width-short)
	}
	return cols, max(0, width-used())
}

// fresh is a host's sample when it is current, nil when it is old: values
// from an old or missing sample are never drawn as if current.
func fresh(r *hostRow) *fleet.Sample {
	if r.health.State.Old() {
		return nil
	}
	return r.status.Last
}

func hostCell(_ *tableModel, r *hostRow) string { return r.status.Host.Name }

func envCell(t *tableModel, r *hostRow) string {
	if r.status.Host.Prod() {
		return t.c.st.Prod.Label.Render(" PROD")
	}
	return r.status.Host.Env
}

func stateCell(t *tableModel, r *hostRow) string {
	if r.health.State == fleet.Unreachable { // the column is 9 wide; the glyph and the header say it whole
		return stateStyle(t.c.st, fleet.Unreachable).Render(glyphs[fleet.Unreachable] + " UNREACH")
	}
	return hostStateLabel(t.c.st, r.health)
}

// metricValue is a host's current value of a metric and its check.
func metricValue(r *hostRow, metric string) (float64, fleet.Check, bool) {
	s := fresh(r)
	if s == nil {
		return 0, fleet.Check{}, false
	}
	if res := fleet.ResourceNamed(metric); res != nil && res.Value != nil { // cpu, memory, load
		c, _ := checkFor(r.health, res.Kind, "")
		v, ok := res.Value(s)
		return v, c, ok
	}
	d := s.WorstDisk()
	if d == nil {
		return 0, fleet.Check{}, false
	}
	c, _ := checkFor(r.health, fleet.KindDisk, d.Mount)
	return d.UsedPercent(), c, true
}

// metricCell is a metric's value, coloured when its check fails: the
// offending cell shows, not only the state.
func metricCell(metric string) func(*tableModel, *hostRow) string {
	return func(t *tableModel, r *hostRow) string {
		v, c, ok := metricValue(r, metric)
		if !ok {
			return "-"
		}
		text := pct(v)
		if metric == "load" {
			text = fmt.Sprintf("%.2f", v)
		}
		if c.State >= fleet.Warn {
			return stateStyle(t.c.st, c.State).Render(text)
		}
		return text
	}
}

func metricKey(metric string) func(*hostRow, time.Time) (float64, bool) {
	return func(r *hostRow, _ time.Time) (float64, bool) {
		v, _, ok := metricValue(r, metric)
		return v, ok
	}
}

func uptimeCell(_ *tableModel, r *hostRow) string {
	if s := fresh(r); s != nil && s.Known(fleet.MetricUptime) {
		return formatUptime(s.Uptime)
	}
	return "-"
}

func uptimeKey(r *hostRow, _ time.Time) (float64, bool) {
	if s := fresh(r); s != nil && s.Known(fleet.MetricUptime) {
		return -s.Uptime.Seconds(), true // shortest uptime (just rebooted) first
	}
	return 0, false
}

func serviceCell(t *tableModel, r *hostRow) string {
	n := len(r.status.Host.Services)
	if n == 0 {
		return ""
	}
	s := fresh(r)
	if s == nil {
		return fmt.Sprintf("-/%d", n)
	}
	running, worst := 0, fleet.OK
	for i := range s.Services {
		if s.Services[i].Running {
			running++
		}
		worst = fleet.Worse(worst, fleet.ServiceCheck(&s.Services[i]).State)
	}
	text := fmt.Sprintf("%d/%d", running, n)
	if worst >= fleet.Warn {
		return stateStyle(t.c.st, worst).Render(text)
	}
	return text
}

func ageCell(t *tableModel, r *hostRow) string {
	if s := r.status.Last; s != nil {
		return fleet.FormatAge(t.c.now.Sub(s.At))
	}
	return "-"
}

func ageKey(r *hostRow, now time.Time) (float64, bool) {
	if s := r.status.Last; s != nil {
		return now.Sub(s.At).Seconds(), true
	}
	return 0, false
}

// securityCell summarises the security checklist and certificates of a
// host: the worst state's word, "-" before the first check or when old.
func securityCell(t *tableModel, r *hostRow) string {
	seen, worst := false, fleet.OK
	for _, c := range r.health.Checks {
		if securityCheck(c) {
			seen = true
			worst = fleet.Worse(worst, c.State)
		}
	}
	if !seen {
		return "-"
	}
	return stateStyle(t.c.st, worst).Render(worst.String())
}

// securityCheck reports whether a check belongs to the security checklist
// (certificates included).
func securityCheck(c fleet.Check) bool {
	return c.Kind == fleet.KindSecurity || c.Kind == fleet.KindCert
}

// checkFor finds an evaluated check by its kind and subject (its key's
// parts, compared without building the key: rows are drawn every frame).
func checkFor(h fleet.Health, kind fleet.CheckKind, subject string) (fleet.Check, bool) {
	for _, c := range h.Checks {
		if c.Kind == kind && c.Subject == subject {
			return c, true
		}
	}
	return fleet.Check{}, false
}
