package probe

import (
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/fleet"
)

var at = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// kv reads "Key: N kB" from a section of a fixture, in bytes.
func kv(t *testing.T, secs map[string]*Section, sec, key string) uint64 {
	for _, l := range secs[sec].Lines {
		if strings.HasPrefix(l, key+":") {
			var n uint64
			for _, c := range strings.Fields(l)[1] {
				n = n*10 + uint64(c-'0')
			}
			return n * 1024
		}
	}
	t.Fatalf("%s not in %s", key, sec)
	return 0
}

func TestAssemble_RecordedDebian(t *testing.T) {
	secs := Split(fixture(t, "debian12-container.out"), "fixture")
	s, next := Assemble(secs, nil, nil, nil, at)
	if len(s.Unknown) > 0 {
		t.Fatalf("unknown: %v", s.Unknown)
	}
	if next == nil || len(next.Cores) != s.Cores {
		t.Errorf("next reading %+v, cores %d", next, s.Cores)
	}
	total, avail := kv(t, secs, "meminfo", "MemTotal"), kv(t, secs, "meminfo", "MemAvailable")
	if s.MemTotal != total || s.MemAvailable != avail || s.MemUsed != total-avail {
		t.Errorf("memory %d/%d/%d", s.MemTotal, s.MemAvailable, s.MemUsed)
	}
	base, _ := ParseStat(secs["stat0"].Lines)
	cur, _ := ParseStat(secs["stat"].Lines)
	want := float64(cur.All.Busy-base.All.Busy) / float64(cur.All.Total-base.All.Total) * 100
	if s.CPU != want || s.CPU < 0 || s.CPU > 100 {
		t.Errorf("cpu %v, want %v", s.CPU, want)
	}
	if s.BootTime.Unix() != cur.BTime {
		t.Errorf("boot time %v", s.BootTime)
	}
	if len(s.Disks) != 1 || s.Disks[0].Mount != "/" || s.Disks[0].FSType != "ext4" {
		t.Errorf("disks %+v: want only / (pseudo filesystems dropped)", s.Disks)
	}
}

func TestAssemble_OldKernelAndSpaces(t *testing.T) {
	secs := Split(fixture(t, "old-kernel-spaces.out"), "fixture")
	s, _ := Assemble(secs, nil, nil, nil, at)
	if !strings.Contains(s.Unknown[fleet.MetricCPU], "first reading") {
		t.Errorf("cpu without baseline: %v", s.Unknown)
	}
	if s.MemAvailable != (512000+100000+400000)*1024 {
		t.Errorf("MemAvailable fallback = %d", s.MemAvailable)
	}
	if s.Cores != 1 || s.Load1 != 0.5 || s.Uptime != time.Hour || s.BootTime.Unix() != 1700000000 {
		t.Errorf("sample %+v", s)
	}
	// df exited 1 but printed rows: they are used. /run is a tmpfs: shown,
	// since a full /run breaks what writes there.
	if len(s.Disks) != 3 || s.Disks[1].Mount != "/mnt/my disk" || s.Disks[1].FSType != "xfs" || s.Disks[2].Mount != "/run" {
		t.Fatalf("disks %+v", s.Disks)
	}
	if p := s.Disks[0].UsedPercent(); math.Abs(p-91) > 0.01 {
		t.Errorf("/ used %.2f%%, want 91%% (used/(used+avail), as df)", p)
	}
	// A second poll computes CPU from the first.
	prev, _ := ParseStat(secs["stat"].Lines)
	secs["stat"].Lines[0] = "cpu  150 0 150 900"
	secs["stat"].Lines[1] = "cpu0 150 0 150 900"
	s2, _ := Assemble(secs, prev, nil, nil, at)
	if s2.CPU != 50 || len(s2.PerCore) != 1 || s2.PerCore[0] != 50 {
		t.Errorf("cpu %v per core %v, want 50", s2.CPU, s2.PerCore)
	}
}

func TestAssemble_ConfiguredMounts(t *testing.T) {
	secs := Split(fixture(t, "old-kernel-spaces.out"), "fixture")
	s, _ := Assemble(secs, nil, []string{"/mnt/my disk", "/data"}, nil, at)
	if len(s.Disks) != 2 || s.Disks[0].Err != "" || s.Disks[1].Err == "" {
		t.Fatalf("disks %+v", s.Disks)
	}
	if !strings.Contains(s.Disks[1].Err, "df failed for it (exit 1)") {
		t.Errorf("missing mount reason %q", s.Disks[1].Err)
	}
}

func TestSplit(t *testing.T) {
	out := strings.Join([]string{
		"noise before",
		"@@opsdeck-n1 begin a",
		"line 1",
		"@@opsdeck-other end a 0", // another nonce: data, not a marker
		"@@opsdeck-n1 end a 0",
		"@@opsdeck-n1 begin b",
		"@@opsdeck-n1 end a 0", // wrong section name: ignored
		"x",
		"@@opsdeck-n1 end b 2",
		"@@opsdeck-n1 begin c",
		"cut here",
	}, "\n")
	secs := Split([]byte(out), "n1")
	if a := secs["a"]; !a.Complete || a.Exit != 0 || len(a.Lines) != 2 || a.Lines[1] != "@@opsdeck-other end a 0" {
		t.Errorf("a = %+v", a)
	}
	if b := secs["b"]; !b.Complete || b.Exit != 2 || len(b.Lines) != 1 {
		t.Errorf("b = %+v", b)
	}
	if c := secs["c"]; c.Complete || len(c.Lines) != 1 {
		t.Errorf("c = %+v", c)
	}
}

func TestParsers_Reject(t *testing.T) {
	uu := map[string]struct {
		fn    func([]string) error
		lines []string
	}{
		"stat no aggregate":     {func(l []string) error { _, err := ParseStat(l); return err }, []string{"cpu0 1 2 3 4"}},
		"stat short":            {func(l []string) error { _, err := ParseStat(l); return err }, []string{"cpu 1 2 3"}},
		"stat letters":          {func(l []string) error { _, err := ParseStat(l); return err }, []string{"cpu 1 2 x 4"}},
		"stat core gap":         {func(l []string) error { _, err := ParseStat(l); return err }, []string{"cpu 1 2 3 4", "cpu3 1 2 3 4"}},
		"stat junk":             {func(l []string) error { _, err := ParseStat(l); return err }, []string{"cpu 1 2 3 4", "intr 5"}},
		"meminfo no total":      {func(l []string) error { _, err := ParseMeminfo(l); return err }, []string{"MemFree: 1 kB"}},
		"meminfo avail > total": {func(l []string) error { _, err := ParseMeminfo(l); return err }, []string{"MemTotal: 1 kB", "MemAvailable: 2 kB"}},
		"meminfo garbage":       {func(l []string) error { _, err := ParseMeminfo(l); return err }, []string{"MemTotal 1 kB"}},
		"meminfo unit":          {func(l []string) error { _, err := ParseMeminfo(l); return err }, []string{"MemTotal: 1 MB"}},
		"loadavg negative":      {func(l []string) error { _, err := ParseLoadavg(l); return err }, []string{"-1 0 0 1/1 1"}},
		"loadavg nan":           {func(l []string) error { _, err := ParseLoadavg(l); return err }, []string{"NaN 0 0 1/1 1"}},
		"loadavg two lines":     {func(l []string) error { _, err := ParseLoadavg(l); return err }, []string{"0 0 0", "0 0 0"}},
		"uptime inf":            {func(l []string) error { _, err := ParseUptime(l); return err }, []string{"+Inf 0"}},
		"ncpu zero":             {func(l []string) error { _, err := ParseNCPU(l); return err }, []string{"0"}},
		"df short":              {func(l []string) error { _, err := ParseDF(l); return err }, []string{"/dev/sda1 10 5 5"}},
		"df no mount":           {func(l []string) error { _, err := ParseDF(l); return err }, []string{"/dev/sda1 10 5 5 50%"}},
		"df letters":            {func(l []string) error { _, err := ParseDF(l); return err }, []string{"/dev/sda1 10 x 5 50% /"}},
		"mounts short":          {func(l []string) error { _, err := ParseMounts(l); return err }, []string{"/dev/sda1 /"}},
	}
	for name, u := range uu {
		t.Run(name, func(t *testing.T) {
			if err := u.fn(u.lines); err == nil {
				t.Errorf("accepted %q", u.lines)
			}
		})
	}
}

func TestPercent(t *testing.T) {
	if _, ok := Percent(CPUTimes{10, 100}, CPUTimes{10, 100}); ok {
		t.Error("no time passed, yet a percentage")
	}
	if _, ok := Percent(CPUTimes{50, 1000}, CPUTimes{5, 100}); ok {
		t.Error("counters went backwards (reboot), yet a percentage")
	}
	if p, ok := Percent(CPUTimes{10, 100}, CPUTimes{35, 200}); !ok || p != 25 {
		t.Errorf("got %v %v", p, ok)
	}
}

// Cutting the output anywhere must never produce a wrong number: each
// metric is either what the whole output says, or unknown.
func TestAssemble_TruncatedAnywhere(t *testing.T) {
	for _, name := range []string{"debian12-container.out", "old-kernel-spaces.out"} {
		full := fixture(t, name)
		want, _ := Assemble(Split(full, "fixture"), nil, nil, nil, at)
		for cut := 0; cut < len(full); cut++ {
			got, _ := Assemble(Split(full[:cut], "fixture"), nil, nil, nil, at)
			check := func(m fleet.Metric, same bool) {
				if got.Known(m) && want.Known(m) && !same {
					t.Fatalf("%s cut at %d: %s differs from the full output", name, cut, m)
				}
				if got.Known(m) && !want.Known(m) {
					t.Fatalf("%s cut at %d: %s known only when cut", name, cut, m)
				}
			}
			check(fleet.MetricCPU, got.CPU == want.CPU)
			check(fleet.MetricMemory, got.MemTotal == want.MemTotal && got.MemUsed == want.MemUsed)
			check(fleet.MetricLoad, got.Load1 == want.Load1 && got.Cores == want.Cores)
			check(fleet.MetricUptime, got.Uptime == want.Uptime)
			check(fleet.MetricDisk, len(got.Disks) == len(want.Disks))
		}
	}
}

func FuzzAssemble(f *testing.F) {
	f.Add(fixture(f, "debian12-container.out"))
	f.Add(fixture(f, "old-kernel-spaces.out"))
	f.Add([]byte("@@opsdeck-fixture begin df\n/dev/x 1 2 3 4% \x1b]0;t\x07\n@@opsdeck-fixture end df 0\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		s, _ := Assemble(Split(out, "fixture"), nil, nil, nil, at)
		if s.Known(fleet.MetricCPU) && (s.CPU < 0 || s.CPU > 100 || math.IsNaN(s.CPU)) {
			t.Fatalf("cpu %v", s.CPU)
		}
		if s.Known(fleet.MetricMemory) && (s.MemUsed > s.MemTotal || s.SwapUsed > s.SwapTotal) {
			t.Fatalf("memory %+v", s)
		}
		if s.Known(fleet.MetricLoad) && (s.Load1 < 0 || s.Cores < 1 || math.IsNaN(s.Load1)) {
			t.Fatalf("load %v cores %d", s.Load1, s.Cores)
		}
		for _, d := range s.Disks {
			if strings.ContainsAny(d.Mount+d.Device+d.FSType, "\x1b\x07\n") {
				t.Fatalf("control characters reached a disk name: %q", d.Mount)
			}
			if p := d.UsedPercent(); p < 0 || p > 100 || math.IsNaN(p) {
				t.Fatalf("disk %+v: %v%%", d, p)
			}
		}
	})
}

// Two polls within one clock tick of the host: the counters have not
// moved. That is no finding and no reboot: the older baseline is kept and
// the last reading carried.
func TestAssemble_CountersNotMoved(t *testing.T) {
	secs := Split(fixture(t, "debian12-container.out"), "fixture")
	delete(secs, "stat0")
	prev, err := ParseStat(secs["stat"].Lines)
	if err != nil {
		t.Fatal(err)
	}
	s, next := Assemble(secs, prev, nil, nil, at)
	if s.Unknown[fleet.MetricCPU] != cpuTooSoon {
		t.Fatalf("cpu: %q", s.Unknown[fleet.MetricCPU])
	}
	if next != prev {
		t.Error("the reading that did not move replaced the baseline")
	}
	c := &hostChecks{host: &fleet.Host{Name: "h"}}
	first := &fleet.Sample{At: at, CPU: 42}
	c.guardCPU(first)
	c.guardCPU(s)
	if !s.Known(fleet.MetricCPU) || s.CPU != 42 || !s.CPUCarried {
		t.Errorf("carried reading: cpu %v carried %v unknown %v", s.CPU, s.CPUCarried, s.Unknown)
	}
	backwards := *prev
	backwards.All.Total += 1000
	backwards.All.Busy += 1000
	s, _ = Assemble(secs, &backwards, nil, nil, at)
	if !strings.Contains(s.Unknown[fleet.MetricCPU], "backwards") {
		t.Errorf("counters behind the baseline: %q", s.Unknown[fleet.MetricCPU])
	}
}

// Inodes come from df -P -i beside df -P -k; a full inode table is a
// finding of its own (a disk with space left that cannot create a file),
// and a df without -i leaves the space check untouched.
func TestAssemble_Inodes(t *testing.T) {
	out := `@@opsdeck-x begin mounts
/dev/vda / ext4 rw,relatime 0 0
tmpfs /srv/cache tmpfs rw,nosuid,size=1024k 0 0
tmpfs /mnt/ro tmpfs ro,relatime,size=4k 0 0
tmpfs /dev/shm tmpfs rw 0 0
@@opsdeck-x end mounts 0
@@opsdeck-x begin df
Filesystem     1024-blocks    Used Available Capacity Mounted on
/dev/vda          264212084 12348044 83153220      13% /
tmpfs                  1024      512      512      50% /srv/cache
tmpfs                     4        0        4       0% /mnt/ro
tmpfs                 65536        0    65536       0% /dev/shm
@@opsdeck-x end df 0
@@opsdeck-x begin dfi
Filesystem                Inodes  IUsed    IFree IUse% Mounted on
/dev/vda                16777216 16106127   671089   96% /
tmpfs                    3085457      1  3085456    1% /srv/cache
@@opsdeck-x end dfi 0
`
	s, _ := Assemble(Split([]byte(out), "x"), nil, nil, nil, at)
	if len(s.Disks) != 2 || s.Disks[0].Mount != "/" || s.Disks[1].Mount != "/srv/cache" {
		t.Fatalf("disks %+v: want / and the writable tmpfs /srv/cache (not /dev/shm, not a read-only tmpfs)", s.Disks)
	}
	if d := s.Disks[0]; d.Inodes != 16777216 || d.IUsed != 16106127 {
		t.Errorf("inodes of /: %d/%d", d.IUsed, d.Inodes)
	}
	c := fleet.Evaluate(s, fleet.DefaultLimits, nil, nil)
	var got []string
	for _, x := range c {
		if x.State != fleet.OK && (strings.HasPrefix(x.Name, "disk") || strings.HasPrefix(x.Name, "inodes")) {
			got = append(got, x.State.String()+" "+x.Reason)
		}
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "CRIT inodes / 95% ≥ 90%") {
		t.Errorf("findings %q, want one CRIT for the inodes of /", got)
	}
	// Without -i (busybox built without it): no inode figures, no finding.
	noI := strings.Replace(out, "@@opsdeck-x end dfi 0", "@@opsdeck-x end dfi 1", 1)
	noI = noI[:strings.Index(noI, "@@opsdeck-x begin dfi")] + "@@opsdeck-x begin dfi\n@@opsdeck-x end dfi 1\n"
	s, _ = Assemble(Split([]byte(noI), "x"), nil, nil, nil, at)
	if len(s.Disks) != 2 || s.Disks[0].Inodes != 0 {
		t.Errorf("without df -i: %+v", s.Disks)
	}
}

// Kernels before 3.14 have no MemAvailable: free + buffers + cache
// stands in for it, and a key the parser does not use is still checked.
func TestParseMeminfo_OldKernel(t *testing.T) {
	m, err := ParseMeminfo([]string{"MemTotal:  100 kB", "MemFree:  10 kB", "Buffers: 5 kB", "Cached:   20 kB", "SwapTotal: 8 kB", "SwapFree: 6 kB", "HugePages_Total: 0"})
	if err != nil || m.Total != 100<<10 || m.Available != 35<<10 || m.SwapTotal != 8<<10 || m.SwapFree != 6<<10 {
		t.Fatalf("%+v %v", m, err)
	}
	if _, err := ParseMeminfo([]string{"MemTotal: 100 kB", "MemAvailable: 50 kB", "Dirty: x kB"}); err == nil {
		t.Error("a bad number in a line not used was accepted")
	}
}

// A line with more fields than the parsers' stack arrays hold splits the
// same.
func TestFieldsAt_Long(t *testing.T) {
	line := strings.Repeat("ab\t c  ", 20)
	var fs [2]string
	var as [2]int
	f, at := fieldsAt(line, fs[:0], as[:0])
	if want := strings.Fields(line); !slices.Equal(f, want) || len(at) != len(want) || line[at[39]:at[39]+1] != "c" {
		t.Fatalf("%q %v", f, at)
	}
}
