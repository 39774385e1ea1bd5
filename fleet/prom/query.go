package prom

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// series are what one batched query asks for, each tagged in the result
// by the label tag: name → PromQL over the selector's targets. M is the
// selector's matchers, L the instance label, W the rate window.
var series = []struct{ name, expr string }{
	{"up", `up{M}`},
	{"at", `timestamp(node_load1{M})`},
	{"load1", `node_load1{M}`},
	{"load5", `node_load5{M}`},
	{"load15", `node_load15{M}`},
	{"cores", `count by (L) (node_cpu_seconds_total{M,mode="idle"})`},
	{"idle", `sum by (L) (rate(node_cpu_seconds_total{M,mode=~"idle|iowait"}[W])) / count by (L) (node_cpu_seconds_total{M,mode="idle"})`},
	{"mem_total", `node_memory_MemTotal_bytes{M}`},
	{"mem_avail", `node_memory_MemAvailable_bytes{M}`},
	{"swap_total", `node_memory_SwapTotal_bytes{M}`},
	{"swap_free", `node_memory_SwapFree_bytes{M}`},
	{"boot", `node_boot_time_seconds{M}`},
	{"fs_size", `node_filesystem_size_bytes{M,FS}`},
	{"fs_free", `node_filesystem_free_bytes{M,FS}`},
	{"fs_avail", `node_filesystem_avail_bytes{M,FS}`},
	{"fs_files", `node_filesystem_files{M,FS}`},
	{"fs_files_free", `node_filesystem_files_free{M,FS}`},
	{"fs_ro", `node_filesystem_readonly{M,FS}`},
}

// tag is the label each series of the batched query carries its name in.
const tag = "opsdeck_series"

// pseudoFS are the filesystems that are not disks (the SSH probe leaves
// them out too). Memory filesystems are left out as well, save the mounts
// the hosts list (see Query): a Debian server's /run, /run/lock and
// /run/user/0 would double the query's cost at 1,000 hosts.
const pseudoFS = `fstype!~"tmpfs|devtmpfs|ramfs|overlay|squashfs|nsfs|autofs|proc|sysfs|cgroup2?|fuse\\..*|nfsd|rpc_pipefs|tracefs|debugfs|securityfs|pstore|bpf|configfs|efivarfs|mqueue|hugetlbfs|binfmt_misc"`

// Query is the one PromQL expression that reads every host's resources:
// each series relabelled with its name under tag and joined with or. The
// filesystems are the disks, and the memory filesystems mounted at one of
// listed (the mounts the hosts list: a tmpfs data mount).
func Query(matchers, instanceLabel, window string, listed []string) string {
	memory := ""
	if len(listed) > 0 {
		quoted := make([]string, len(listed))
		for i, m := range listed {
			quoted[i] = regexp.QuoteMeta(m)
		}
		memory = `fstype=~"tmpfs|ramfs",mountpoint=~` + strconv.Quote("^(?:"+strings.Join(quoted, "|")+")$")
	}
	var b strings.Builder
	for i, s := range series {
		if i > 0 {
			b.WriteString(" or ")
		}
		e := s.expr
		m := matchers
		e = strings.ReplaceAll(e, "{M,", "{"+join(m, ""))
		e = strings.ReplaceAll(e, "{M}", "{"+m+"}")
		if strings.Contains(e, "FS}") && memory != "" {
			e = "(" + strings.Replace(e, "FS}", pseudoFS+"}", 1) + " or " + strings.Replace(e, "FS}", memory+"}", 1) + ")"
		}
		e = strings.ReplaceAll(e, "FS}", pseudoFS+"}")
		e = strings.ReplaceAll(e, "(L)", "("+instanceLabel+")")
		e = strings.ReplaceAll(e, "[W]", "["+window+"]")
		fmt.Fprintf(&b, `label_replace(%s, %q, %q, "", "")`, e, tag, s.name)
	}
	return b.String()
}

// join puts a comma after m when it holds matchers.
func join(m, _ string) string {
	if m == "" {
		return ""
	}
	return m + ","
}
