package fleet

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

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

// Describe names the configuration in messages: its path, or "embedded
// default".
func (l Located) Describe() string {
	if l.Path == "" {
		return "embedded default"
	}
	return l.Path
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

// OpenLog opens the log file in the state directory (opsdeck.log).
// Logging must never write to the terminal a dashboard draws on: when the
// file cannot be opened, logs are dropped.
func OpenLog() (*slog.Logger, func()) {
	if f, err := OpenPrivate(filepath.Join(StateDir(), "opsdeck.log")); err == nil {
		return slog.New(slog.NewTextHandler(f, nil)), func() { _ = f.Close() }
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}
}
