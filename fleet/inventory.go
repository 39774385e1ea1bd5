package fleet

// Inventory is one [[inventory]] table: where more hosts come from.
type Inventory struct {
	Name string `toml:"name"` // how messages and `config hosts` name it; default: its kind and path
	Kind string `toml:"kind"` // "ansible", "ssh_config", "file_sd"
	// Path is the file to read (ansible: an INI or YAML inventory or a
	// directory of them, read through ansible-inventory, or the JSON of
	// ansible-inventory --list; ssh_config: default ~/.ssh/config;
	// file_sd: JSON or YAML).
	Path string `toml:"path"`
	// Command (ansible) prints the inventory's JSON: an argv, run without
	// a shell, as ansible-inventory and dynamic inventories are.
	Command []string `toml:"command"`
	// Match narrows an ssh_config's Host entries (a glob: "web-*").
	Match   string   `toml:"match"`
	Timeout Duration `toml:"timeout"` // default 30s
	Refresh Duration `toml:"refresh"` // default 5m
	// MaxOutput caps what is read from the file or the command (default
	// 64 MiB): more is an error, the last good list is kept.
	MaxOutput Size `toml:"max_output"`
	// Roles are given to every host of the inventory, before its own.
	Roles []string `toml:"roles"`
	// Filter keeps only the hosts with one of these tags (groups, labels).
	Filter []string `toml:"filter"`
}
