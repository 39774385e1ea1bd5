package fleettest

import (
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Netns is a network namespace of the test's own, joined to the host by a
// veth pair: the host side is HostIP, the namespace side NSIP, a /30 in
// 10.213.0.0/16 that exists only between the two. Nothing else is reached.
type Netns struct {
	Name         string
	HostIP, NSIP string
	hostIf, nsIf string
}

// NewNetns creates the namespace and its link, removed at cleanup.
func NewNetns(tb testing.TB) *Netns {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Fatal("network namespaces need root: run the suite as root (make test does in CI)")
	}
	var b [2]byte
	_, _ = rand.Read(b[:])
	id := fmt.Sprintf("%02x%02x", b[0], b[1])
	third := int(b[0])
	fourth := int(b[1]&0x3f) * 4
	n := &Netns{Name: "opsdeck-" + id, hostIf: "odk" + id + "h", nsIf: "odk" + id + "n",
		HostIP: fmt.Sprintf("10.213.%d.%d", third, fourth+1), NSIP: fmt.Sprintf("10.213.%d.%d", third, fourth+2)}
	run := func(args ...string) {
		tb.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			tb.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	run("netns", "add", n.Name)
	tb.Cleanup(func() {
		_ = exec.Command("ip", "link", "del", n.hostIf).Run()
		_ = exec.Command("ip", "netns", "del", n.Name).Run()
	})
	run("link", "add", n.hostIf, "type", "veth", "peer", "name", n.nsIf)
	run("link", "set", n.nsIf, "netns", n.Name)
	run("addr", "add", n.HostIP+"/30", "dev", n.hostIf)
	run("link", "set", n.hostIf, "up")
	run("netns", "exec", n.Name, "ip", "addr", "add", n.NSIP+"/30", "dev", n.nsIf)
	run("netns", "exec", n.Name, "ip", "link", "set", n.nsIf, "up")
	run("netns", "exec", n.Name, "ip", "link", "set", "lo", "up")
	return n
}
