package fleet

// Level is a pair of thresholds: at or above Warn is WARN, at or above Crit
// is CRIT — once held for For. A raised alarm holds until the value is
// below Clear (CRIT eases to WARN below warn). Off switches the metric's
// check off. Pointers distinguish "not set" (inherit) from zero.
type Level struct {
	Warn  *float64  `toml:"warn"`
	Crit  *float64  `toml:"crit"`
	For   *Duration `toml:"for"`
	Clear *float64  `toml:"clear"`
	Off   *bool     `toml:"off"`
}

// Thresholds for the resource checks. CPU, Memory, Disk and Inodes are
// percentages; Load is the 1-minute load average divided by the number of
// cores.
type Thresholds struct {
	CPU    Level `toml:"cpu"`
	Memory Level `toml:"memory"`
	Disk   Level `toml:"disk"`
	Inodes Level `toml:"inodes"`
	Load   Level `toml:"load"`
	// DiskFull is when a mount's forecast is a finding (space and inodes).
	DiskFull FillLevel `toml:"disk_full"`
}

// FillLevel is [thresholds] disk_full: warn and crit are how soon the
// mount is full at its rate ("24h", "4h"), with less free than warn_free
// and crit_free percent; window is the span the rate is fitted over.
type FillLevel struct {
	Warn     *Duration `toml:"warn"`
	Crit     *Duration `toml:"crit"`
	WarnFree *float64  `toml:"warn_free"`
	CritFree *float64  `toml:"crit_free"`
	Window   *Duration `toml:"window"`
	For      *Duration `toml:"for"`
	Off      *bool     `toml:"off"`
}
