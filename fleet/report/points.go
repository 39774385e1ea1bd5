package report

import (
	"encoding/json"
	"math"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// Point is one measured value of a host with its thresholds (NaN: none),
// for the formats that carry numbers: Nagios perfdata and Prometheus.
type Point struct {
	Host, Name string // Name: "cpu", "memory", "load1 per core", "disk /var", "backup db age"
	Metric     string // Prometheus metric name
	Label      string // Prometheus label beside host ("mount", "backup"), "" for none
	LabelValue string
	Value      float64
	Unit       string // Nagios UOM: "%", "s" or ""
	Warn, Crit float64
	Min, Max   float64
	// NoPerf: exported to Prometheus and the JSON, not Nagios' perfdata
	// (a count, a size: what a reader of the exposition needs for a row).
	NoPerf bool
}

var none = math.NaN()

// MarshalJSON writes a figure with its host, name, metric, label, value,
// unit and thresholds; a threshold or bound it has none of is left out.
func (p Point) MarshalJSON() ([]byte, error) {
	num := func(f float64) *float64 {
		if math.IsNaN(f) {
			return nil
		}
		return &f
	}
	type figure struct {
		Host   string   `json:"host"`
		Name   string   `json:"name"`
		Metric string   `json:"metric"`
		Labels any      `json:"labels,omitempty"`
		Value  float64  `json:"value"`
		Unit   string   `json:"unit,omitempty"`
		Warn   *float64 `json:"warn,omitempty"`
		Crit   *float64 `json:"crit,omitempty"`
		Min    *float64 `json:"min,omitempty"`
		Max    *float64 `json:"max,omitempty"`
	}
	f := figure{Host: p.Host, Name: p.Name, Metric: p.Metric, Value: p.Value, Unit: p.Unit,
		Warn: num(p.Warn), Crit: num(p.Crit), Min: num(p.Min), Max: num(p.Max)}
	if p.Label != "" {
		f.Labels = map[string]string{p.Label: p.LabelValue}
	}
	return json.Marshal(f)
}

// Points are the figures of every host whose data is fresh at now, as the
// dashboard shows them, with the thresholds it judges them by: a host
// with old data has no figures rather than old ones shown as current.
func Points(store *fleet.Store, now time.Time) []Point {
	snap, _ := store.Snapshot()
	var out []Point
	for i := range snap {
		st := &snap[i]
		if st.Last == nil || st.Last.Stale(st.Host, now) || st.Host.Elsewhere {
			continue
		}
		out = resourcePoints(out, st.Host, st.Last)
		out = fillPoints(out, st)
		out = backupPoints(out, st.Host, st.Last, now)
		out = rowPoints(out, st, now)
	}
	return out
}

// rowPoints adds what a row says beside the resources: services running
// of those configured, each backup's size, its last drill's age and
// result, each certificate's time to expiry. Not perfdata.
func rowPoints(out []Point, st *fleet.HostStatus, now time.Time) []Point {
	h, s := st.Host, st.Last
	p := func(name, metric, label, value string, v float64, unit string) {
		out = append(out, Point{Host: h.Name, Name: name, Metric: metric, Label: label, LabelValue: value, Value: v, Unit: unit,
			Warn: none, Crit: none, Min: none, Max: none, NoPerf: true})
	}
	if len(h.Services) > 0 {
		running := 0
		for _, sv := range s.Services {
			if sv.Running {
				running++
			}
		}
		p("services running", "opsdeck_services_running", "", "", float64(running), "")
		p("services configured", "opsdeck_services_configured", "", "", float64(len(h.Services)), "")
	}
	for _, b := range s.Backups {
		if b.Err == "" && b.Size >= 0 && !b.NewestAt.IsZero() {
			p("backup "+b.Name+" size", "opsdeck_backup_size_bytes", "backup", b.Name, float64(b.Size), "B")
		}
		if d := st.DrillsOf(b.Name); d.Unknown == "" && d.Last != nil {
			p("drill "+b.Name+" age", "opsdeck_drill_age_seconds", "backup", b.Name, math.Max(0, now.Sub(d.Last.Time).Seconds()), "s")
			p("drill "+b.Name+" passed", "opsdeck_drill_passed", "backup", b.Name, map[bool]float64{true: 1}[d.Last.Passed], "")
		}
	}
	for _, c := range s.Certs {
		if c.Err == "" && !c.NotAfter.IsZero() {
			p("cert "+c.Endpoint+" expiry", "opsdeck_cert_expiry_seconds", "endpoint", c.Endpoint, c.NotAfter.Sub(now).Seconds(), "s")
		}
	}
	return out
}

// resourcePoints adds a host's resource figures to out.
func resourcePoints(out []Point, h *fleet.Host, s *fleet.Sample) []Point {
	lim := h.Limits
	for _, r := range fleet.Resources {
		if r.Export == "" || !s.Known(r.Metric) {
			continue
		}
		w, c := pair(*r.Limit(&lim))
		unit, most := "", none
		if r.Percent {
			unit, most = "%", 100
		}
		if r.Value != nil {
			if v, ok := r.Value(s); ok {
				out = append(out, Point{Host: h.Name, Name: r.Label, Metric: r.Export, Value: v, Unit: unit, Warn: w, Crit: c, Min: 0, Max: most})
			}
			continue
		}
		for _, d := range s.Disks {
			if v, ok := r.Mount(d); ok && d.Total > 0 { // a size: a figure
				out = append(out, Point{Host: h.Name, Name: r.Label + " " + d.Mount, Metric: r.Export, Label: "mount", LabelValue: d.Mount,
					Value: v, Unit: unit, Warn: w, Crit: c, Min: 0, Max: most})
			}
		}
	}
	return out
}

func pair(p fleet.Pair) (float64, float64) {
	if p.Off {
		return none, none
	}
	return p.Warn, p.Crit
}

// backupPoints adds the age of a host's newest backup artefacts to out.
func backupPoints(out []Point, h *fleet.Host, s *fleet.Sample, now time.Time) []Point {
	for _, b := range s.Backups {
		if b.Err != "" || b.NewestAt.IsZero() {
			continue
		}
		warn, crit := fleet.DefaultMaxAge, 2*fleet.DefaultMaxAge
		for _, cb := range h.Backups {
			if cb.Name == b.Name && cb.MaxAge.Duration > 0 {
				warn, crit = cb.AgeLimits()
			}
		}
		out = append(out, Point{Host: h.Name, Name: "backup " + b.Name + " age", Metric: "opsdeck_backup_age_seconds", Label: "backup", LabelValue: b.Name,
			Value: math.Max(0, now.Sub(b.NewestAt).Seconds()), Unit: "s", Warn: warn.Seconds(), Crit: crit.Seconds(), Min: 0, Max: none})
	}
	return out
}

// fillPoints adds when each filling mount is full at its rate: absent
// when it is not filling or its history is too short, never a made-up one.
func fillPoints(out []Point, st *fleet.HostStatus) []Point {
	if st.Host.Limits.Full.Off {
		return out
	}
	for _, d := range st.Last.Disks {
		f, ok := st.Fill.Of(d.Mount)
		if !ok || !f.Space.Filling {
			continue
		}
		out = append(out, Point{Host: st.Host.Name, Name: "disk " + d.Mount + " full in", Metric: "opsdeck_disk_full_seconds", Label: "mount",
			LabelValue: d.Mount, Value: f.Space.FullIn.Seconds(), Unit: "s", Warn: none, Crit: none, Min: 0, Max: none})
	}
	return out
}
