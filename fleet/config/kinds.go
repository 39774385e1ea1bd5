package config

// Service and backup kinds, with the fields each one needs.
var (
	serviceKinds = map[string][]string{
		"systemd":    {"unit"},
		"supervisor": {"program"},
		"docker":     {"container"},
		"pm2":        {"program"},
		"process":    {"pattern"},
	}
	// serviceFields lists the kind-specific fields; one that the kind does
	// not use is an error, since it would be silently ignored.
	serviceFields = map[string][]string{
		"unit":      {"systemd"},
		"program":   {"supervisor", "pm2"},
		"container": {"docker"},
		"pattern":   {"process"},
		"conf":      {"supervisor"},
		"restart":   {"process"},
		"log":       {"process"},
	}
	backupKinds = map[string][]string{
		"files":   {"path"},
		"restic":  {"repo", "password_file"},
		"command": {"command"},
	}
	backupFields = map[string][]string{
		"path":          {"files"},
		"repo":          {"restic"},
		"password_file": {"restic"},
		"command":       {"command"},
	}
)
