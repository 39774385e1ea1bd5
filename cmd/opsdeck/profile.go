package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile of the whole run to
// $OPSDECK_CPUPROFILE and a heap profile at the end to
// $OPSDECK_MEMPROFILE, for measuring the dashboard on a large fleet (see
// the README's performance section). The returned func ends them.
func startProfile() func() {
	cpu, mem := os.Getenv("OPSDECK_CPUPROFILE"), os.Getenv("OPSDECK_MEMPROFILE")
	var stops []func()
	if cpu != "" {
		if f, err := os.Create(cpu); err == nil {
			if err := pprof.StartCPUProfile(f); err == nil {
				stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
			} else {
				f.Close()
				fmt.Fprintln(os.Stderr, "opsdeck: cpu profile:", err)
			}
		}
	}
	if mem != "" {
		stops = append(stops, func() {
			if f, err := os.Create(mem); err == nil {
				_ = pprof.WriteHeapProfile(f)
				f.Close()
			}
		})
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}
