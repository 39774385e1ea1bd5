package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

// Inventory defaults.
const (
	DefaultInventoryTimeout = 30 * time.Second
	DefaultInventoryRefresh = 5 * time.Minute
	DefaultInventoryOutput  = 64 << 20
)

// invHost is a host as an inventory gives it, before roles and validation.
type invHost struct {
	Name, Address, User, Identity, Env string
	Port                               int
	Tags                               []string // groups, labels
	Group                              string   // the group (or file) it was found in, for people
	// Jump is the inventory host it is reached through; ProxyJump a jump
	// host that is none ([user@]host[:port], as ssh's -J takes it).
	Jump, ProxyJump string
	// Skip says why opsdeck cannot reach it ("ansible_connection winrm"):
	// left out, said once.
	Skip string
}

// invResult is one inventory's last read.
type invResult struct {
	hosts []invHost
	at    time.Time
	err   error
}

// InventoryName is how an inventory is named in messages: its name, else
// its kind and where it reads from.
func InventoryName(inv *fleet.Inventory) string {
	switch {
	case inv.Name != "":
		return inv.Name
	case len(inv.Command) > 0:
		return inv.Kind + " " + filepath.Base(inv.Command[0])
	case inv.Path != "":
		return inv.Kind + " " + inv.Path
	}
	return inv.Kind
}

// readInventory runs or reads one inventory and parses its hosts, bounded
// by its timeout and output cap.
func readInventory(ctx context.Context, inv *fleet.Inventory, dir string) ([]invHost, error) {
	timeout := inv.Timeout.Duration
	if timeout <= 0 {
		timeout = DefaultInventoryTimeout
	}
	limit := int64(inv.MaxOutput)
	if limit <= 0 {
		limit = DefaultInventoryOutput
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var data []byte
	var stderr string
	var err error
	switch {
	case len(inv.Command) > 0:
		data, stderr, err = runInventory(ctx, inv.Command, dir, limit)
	case inv.Kind == "ansible":
		data, stderr, err = readAnsible(ctx, expandHome(inv.Path), dir, limit)
	default:
		path := inv.Path
		if path == "" && inv.Kind == "ssh_config" {
			path = "~/.ssh/config"
		}
		data, err = readCapped(expandHome(path), dir, limit)
	}
	if err != nil {
		return nil, err
	}
	var hosts []invHost
	switch inv.Kind {
	case "ansible":
		hosts, err = parseAnsible(data)
	case "ssh_config":
		hosts, err = parseSSHConfig(data, inv.Match)
	case "file_sd":
		hosts, err = parseFileSD(data)
	default:
		err = fmt.Errorf("unknown kind %q", inv.Kind)
	}
	if err == nil && len(hosts) == 0 {
		// ansible-inventory prints an empty inventory, exit 0, for a source
		// it cannot parse or find: never an emptied fleet.
		err = errors.New("no hosts in it")
		if first, _, _ := strings.Cut(strings.TrimSpace(stderr), "\n"); first != "" {
			err = fmt.Errorf("no hosts in it (it said: %s)", fleet.Sanitize(first, 200))
		}
	}
	if err != nil { // say whose output it was
		if len(inv.Command) > 0 {
			return nil, fmt.Errorf("output of %s: %w", strings.Join(inv.Command, " "), err)
		}
		return nil, fmt.Errorf("%s: %w", inv.Path, err)
	}
	return hosts, nil
}

// runInventory runs argv (no shell) in dir, keeping at most limit bytes of
// its output: more is an error. The command's process group is killed at
// ctx's end, so a hung dynamic inventory never holds a reload.
func runInventory(ctx context.Context, argv []string, dir string, limit int64) ([]byte, string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var errOut bytes.Buffer
	cmd.Stderr = &capped{b: &errOut, n: 4096}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("command %s: %w", argv[0], err)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		case <-done:
		}
	}()
	data, readErr := io.ReadAll(io.LimitReader(out, limit+1))
	over := int64(len(data)) > limit
	if over {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	waitErr := cmd.Wait()
	close(done)
	switch {
	case ctx.Err() != nil:
		return nil, "", fmt.Errorf("command %s did not finish within its timeout; killed", argv[0])
	case over:
		return nil, "", fmt.Errorf("command %s printed more than %s; cut off", argv[0], fleet.FormatBytes(uint64(limit)))
	case readErr != nil:
		return nil, "", fmt.Errorf("command %s: %w", argv[0], readErr)
	case waitErr != nil:
		msg := strings.TrimSpace(fleet.Sanitize(errOut.String(), 200))
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) {
			return nil, "", fmt.Errorf("command %s exited %d: %s", argv[0], ee.ExitCode(), msg)
		}
		return nil, "", fmt.Errorf("command %s: %w", argv[0], waitErr)
	}
	return data, errOut.String(), nil
}

// capped keeps the first n bytes written to it.
type capped struct {
	b *bytes.Buffer
	n int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.n - c.b.Len(); room > 0 {
		c.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func readCapped(path, dir string, limit int64) ([]byte, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is over %s", path, fleet.FormatBytes(uint64(limit)))
	}
	return data, nil
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// inventoryHosts turns an inventory's hosts into fleet hosts: its roles,
// then the roles named like the host's groups; kept by its filter.
func inventoryHosts(c *fleet.Config, inv *fleet.Inventory, hosts []invHost) []fleet.Host {
	var out []fleet.Host
	for _, ih := range hosts {
		if len(inv.Filter) > 0 && !slices.ContainsFunc(inv.Filter, func(t string) bool { return slices.Contains(ih.Tags, t) }) {
			continue
		}
		if ih.Skip != "" {
			continue
		}
		h := fleet.Host{Name: ih.Name, Address: ih.Address, Port: ih.Port, User: ih.User, Env: ih.Env, Jump: ih.Jump,
			ProxyJump: ih.ProxyJump, Tags: append([]string(nil), ih.Tags...), Roles: append([]string(nil), inv.Roles...)}
		if ih.Identity != "" {
			h.IdentityFiles = []string{ih.Identity}
		}
		for _, t := range ih.Tags {
			if _, ok := c.Roles[t]; ok && !slices.Contains(h.Roles, t) {
				h.Roles = append(h.Roles, t)
			}
		}
		h.From = fmt.Sprintf("inventory %s (%s, %s)", InventoryName(inv), inv.Kind, ih.Group)
		out = append(out, h)
	}
	return out
}

// readAnsible reads an Ansible inventory at path the way Ansible reads it:
// the JSON of ansible-inventory --list as it is; an INI or YAML inventory,
// or a directory of them (with group_vars and host_vars), through
// ansible-inventory itself, when it is installed.
func readAnsible(ctx context.Context, path, dir string, limit int64) ([]byte, string, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, "", err
	}
	if !fi.IsDir() {
		data, err := readCapped(path, dir, limit)
		if err != nil || bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
			return data, "", err // JSON: ansible-inventory's own output
		}
	}
	tool, err := exec.LookPath("ansible-inventory")
	if err != nil {
		return nil, "", fmt.Errorf("not JSON: an INI or YAML inventory (or a directory) is read through ansible-inventory, "+
			"which is not installed: install Ansible (Debian: apt-get install ansible-core), or write its JSON once with "+
			"'ansible-inventory -i %s --list > inventory.json' and set path to that file", path)
	}
	return runInventory(ctx, []string{tool, "-i", path, "--list"}, dir, limit)
}
