package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/kevinburke/ssh_config"
	"go.yaml.in/yaml/v3"
)

// parseSSHConfig reads every Host entry of an ssh_config without
// wildcards or negation, as a host of that name, with its HostName, Port,
// User and first IdentityFile; match (a glob) narrows them.
func parseSSHConfig(data []byte, match string) ([]invHost, error) {
	cfg, err := ssh_config.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var out []invHost
	seen := map[string]bool{}
	for _, h := range cfg.Hosts {
		for _, p := range h.Patterns {
			alias := p.String()
			if strings.ContainsAny(alias, "*?!") || seen[alias] {
				continue
			}
			if ok, _ := path.Match(match, alias); match != "" && !ok {
				continue
			}
			seen[alias] = true
			ih := invHost{Name: alias, Group: "Host " + alias}
			for _, n := range h.Nodes {
				kv, ok := n.(*ssh_config.KV)
				if !ok {
					continue
				}
				v := strings.ReplaceAll(kv.Value, "%h", alias)
				at := fmt.Sprintf("line %d", kv.Pos().Line)
				switch strings.ToLower(kv.Key) {
				case "hostname":
					if ih.Address == "" {
						ih.Address = v
						if why := AddressProblem(v); why != "" {
							return nil, fmt.Errorf("%s: HostName %q %s", at, v, why)
						}
					}
				case "port":
					if ih.Port == 0 {
						n, err := strconv.Atoi(v)
						if err != nil {
							return nil, fmt.Errorf("%s: Port %q is not a number", at, v)
						}
						ih.Port = n
					}
				case "user":
					if ih.User == "" {
						ih.User = v
					}
				case "identityfile":
					if ih.Identity == "" {
						ih.Identity = expandHome(v)
					}
				}
			}
			out = append(out, ih)
		}
	}
	return out, nil
}

// fileSDGroup is one target group of Prometheus' file_sd.
type fileSDGroup struct {
	Targets []string          `json:"targets" yaml:"targets"`
	Labels  map[string]string `json:"labels" yaml:"labels"`
}

// parseFileSD reads Prometheus file_sd targets (JSON, or YAML): each
// target's host is a host's name and address; the exporter's port is not
// SSH's, so the port comes from an ssh_port label (else the defaults).
// Labels become tags ("job=node"); an env label sets env.
func parseFileSD(data []byte) ([]invHost, error) {
	var groups []fileSDGroup
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(data, &groups); err != nil {
			return nil, fmt.Errorf("not file_sd JSON: %w", jsonProblem(data, err))
		}
	} else if err := yaml.Unmarshal(data, &groups); err != nil {
		return nil, fmt.Errorf("not file_sd YAML: %w", err)
	}
	var out []invHost
	for gi, g := range groups {
		keys := make([]string, 0, len(g.Labels))
		for k := range g.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, t := range g.Targets {
			host, _, err := net.SplitHostPort(t)
			if err != nil {
				host = strings.Trim(t, "[]")
			}
			ih := invHost{Name: host, Address: host, Group: fmt.Sprintf("target group %d", gi+1)}
			for _, k := range keys {
				v := g.Labels[k]
				switch {
				case k == "env":
					ih.Env = v
				case k == "ssh_port":
					n, err := strconv.Atoi(v)
					if err != nil {
						return nil, fmt.Errorf("target %s: ssh_port %q is not a number", t, v)
					}
					ih.Port = n
				case strings.HasPrefix(k, "__"):
				default:
					ih.Tags = append(ih.Tags, k+"="+v)
				}
			}
			out = append(out, ih)
		}
	}
	return out, nil
}
