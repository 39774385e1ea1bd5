package sshx

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/opsdeck/opsdeck/fleet"
)

// HostLine is one host of `opsdeck config hosts`: how opsdeck reaches it and where
// it was defined.
type HostLine struct {
	Name    string   `json:"name"`
	Address string   `json:"address"`
	Port    int      `json:"port,omitempty"`
	User    string   `json:"user,omitempty"`
	Roles   []string `json:"roles"`
	Tags    []string `json:"tags"`
	Env     string   `json:"env,omitempty"`
	// Via is the jump chain, nearest last ("bastion"; "ssh_config:gw" for
	// a jump host that is not in the fleet).
	Via    string `json:"via,omitempty"`
	Source string `json:"source"`
}

// HostLines resolves how each host is reached, as the dashboard would.
func HostLines(c *fleet.Config) ([]HostLine, error) {
	targets, err := Resolve(c)
	if err != nil {
		return nil, err
	}
	out := make([]HostLine, 0, len(c.Hosts))
	for i := range c.Hosts {
		h := &c.Hosts[i]
		l := HostLine{Name: h.Name, Address: h.Address, Roles: nonNil(h.Roles), Tags: nonNil(h.Tags), Env: h.Env, Source: h.From}
		if t, ok := targets[h.Name]; ok {
			host, port, _ := net.SplitHostPort(t.Addr)
			l.Address, l.User = host, t.User
			l.Port, _ = strconv.Atoi(port)
			l.Via = via(t)
		}
		out = append(out, l)
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WriteHostLines prints the host lines as a table.
func WriteHostLines(w io.Writer, lines []HostLine) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tADDRESS\tPORT\tUSER\tVIA\tROLES\tTAGS\tENV\tSOURCE")
	for _, l := range lines {
		port := "-"
		if l.Port > 0 {
			port = strconv.Itoa(l.Port)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", fleet.Sanitize(l.Name, 64), fleet.Sanitize(l.Address, 64), port, dash(l.User),
			dash(fleet.Sanitize(l.Via, 80)), dash(strings.Join(l.Roles, ",")), dash(fleet.Sanitize(strings.Join(l.Tags, ","), 80)), dash(l.Env), l.Source)
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
