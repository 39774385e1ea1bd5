package fleet

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed default.toml
var defaultConfig []byte

// ConfigEnv names the environment variable that points at a config file.
const ConfigEnv = "OPSDECK_CONFIG"

// Where a configuration was found.
const (
	FromFlag     = "--config"
	FromEnv      = "$" + ConfigEnv
	FromXDG      = "default path"
	FromEmbedded = "embedded default"
)

// Located is a configuration path and how it was chosen.
type Located struct {
	Path string // empty for the embedded default
	From string
}

// Locate chooses the configuration file: the flag, then $OPSDECK_CONFIG,
// then $XDG_CONFIG_HOME/opsdeck/config.toml (~/.config/... by default).
// A file named by the flag or the variable must exist; when the default
// path has no file, the embedded default (this machine) is used.
func Locate(flag string) (Located, error) {
	for _, c := range []Located{{flag, FromFlag}, {os.Getenv(ConfigEnv), FromEnv}} {
		if c.Path == "" {
			continue
		}
		if _, err := os.Stat(c.Path); err != nil {
			return Located{}, fmt.Errorf("config file %s (from %s): %w", c.Path, c.From, err)
		}
		return c, nil
	}
	p := filepath.Join(ConfigDir(), "config.toml")
	if _, err := os.Stat(p); err == nil {
		return Located{p, FromXDG}, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Located{}, fmt.Errorf("config file %s: %w", p, err)
	}
	return Located{From: FromEmbedded}, nil
}

// LoadLocated loads what Locate chose.
func LoadLocated(l Located) (*Config, error) {
	if l.Path == "" {
		return Default(), nil
	}
	return Load(l.Path)
}

// Default is the embedded configuration: a fleet of one, this machine,
// named after its hostname.
func Default() *Config {
	c, err := Parse("(embedded default)", defaultConfig)
	if err != nil {
		panic("embedded default config is invalid: " + err.Error())
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		c.Hosts[0].Name = h
	}
	return c
}

// ConfigDir is $XDG_CONFIG_HOME/opsdeck, or ~/.config/opsdeck.
func ConfigDir() string { return xdgDir("XDG_CONFIG_HOME", ".config") }

// StateDir is $XDG_STATE_HOME/opsdeck, or ~/.local/state/opsdeck: logs,
// audit log and drill history live there.
func StateDir() string { return xdgDir("XDG_STATE_HOME", filepath.Join(".local", "state")) }

// xdgDir is $env/opsdeck, else ~/fallback/opsdeck. Without HOME it is
// never a shared directory such as /tmp: root (a cron job, a systemd unit)
// gets /var/lib/opsdeck for state, anyone else "" (callers refuse to write
// with ErrNoStateDir).
func xdgDir(env, fallback string) string {
	if d := os.Getenv(env); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "opsdeck")
	}
	home, err := os.UserHomeDir()
	if err == nil && filepath.IsAbs(home) {
		return filepath.Join(home, fallback, "opsdeck")
	}
	if os.Getuid() == 0 && env == "XDG_STATE_HOME" {
		return "/var/lib/opsdeck"
	}
	return ""
}
