package config

import "github.com/opsdeck/opsdeck/fleet"

// Service and backup kinds, with the fields each one needs. The service
// kinds are fleet.ServiceKinds'.
var (
	serviceKinds, serviceFields = kindTables()
	backupKinds                 = map[string][]string{
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

// kindTables are the fields each service kind needs, and the kinds each
// kind-specific field is for (one that the kind does not use is an error,
// since it would be silently ignored).
func kindTables() (needs, fields map[string][]string) {
	needs, fields = map[string][]string{}, map[string][]string{}
	for _, k := range fleet.ServiceKinds {
		needs[k.Name] = k.Needs
		for _, f := range k.Uses {
			fields[f] = append(fields[f], k.Name)
		}
	}
	return needs, fields
}
