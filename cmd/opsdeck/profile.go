package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

// startProfile writes a CPU profile of the whole run to
// $OPSDECK_CPUPROFILE and a heap profile at the end to
// $OPSDECK_MEMPROFILE (and the runtime's memory figures while it runs, in
// $OPSDECK_MEMPROFILE.txt), for measuring the dashboard on a large fleet (see
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
		go memFigures(mem + ".txt")
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

// memFigures rewrites path every 10 s with where the process's memory
// goes (heap, stacks, what was given back to the OS), so that the last
// write shows the dashboard running, not shut down.
func memFigures(path string) {
	for {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		_ = os.WriteFile(path, fmt.Appendf(nil,
			"heap_alloc %d\nheap_inuse %d\nheap_idle %d\nheap_released %d\nstack_inuse %d\nsys %d\ngoroutines %d\nnum_gc %d\n",
			ms.HeapAlloc, ms.HeapInuse, ms.HeapIdle, ms.HeapReleased, ms.StackInuse, ms.Sys, runtime.NumGoroutine(), ms.NumGC), 0o644)
		time.Sleep(10 * time.Second)
	}
}
