//go:build go1.25

package main

// Many CPU samples: runtime/trace and a runtime/pprof CPU profile at once over
// a fixed amount of CPU-bound work on several goroutines, so the trace holds
// thousands of StackSample events with varied, deep stacks (the CPU panel's
// flame graph and top table at scale). The work is a fixed number of rounds,
// not a duration: the sample count follows the CPU time spent, which does not
// depend on how busy the machine is.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	"io"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sort"
	"strconv"
	"sync"
)

// cpuSampleHz is the profiling rate: 1,000 samples per CPU-second instead of
// pprof's 100, so ~4 s of CPU make ~4,000 samples. Set before
// pprof.StartCPUProfile, whose own SetCPUProfileRate(100) then only logs
// "cannot set cpu profile rate" and leaves this rate in effect.
const cpuSampleHz = 1000

// cpuSamplesAdvance overrides the 50 ms generations of the other scenarios
// (GODEBUG settings apply left to right): this one runs for seconds, and every
// generation repeats the stack and string tables, which would make the trace
// several MB. Half a second still gives well over three generations.
const cpuSamplesAdvance = "traceadvanceperiod=500000000"

// cpuProfileOut, when set, receives the pprof CPU profile of the same run: the
// runtime writes every sample to both (runtime/cpuprof.go: cpuprof.add and
// traceCPUSample), so tests compare the trace's StackSamples with it.
var cpuProfileOut = flag.String("cpuprofile", "", "cpusamples: also write the pprof CPU profile here")

func init() {
	register("cpusamples", "thousands of CPU samples (pprof at 1 kHz while tracing) from "+
		"hashing, sorting, recursion, maps and byte scanning on five goroutines",
		cpuSamplesAdvance, cpuSamples)
}

func cpuSamples(out io.Writer) error {
	return traced(out, func(ctx context.Context) {
		var prof io.Writer = io.Discard
		if *cpuProfileOut != "" {
			f, err := os.Create(*cpuProfileOut)
			if err != nil {
				log.Fatal(err)
			}
			defer f.Close()
			prof = f
		}
		runtime.SetCPUProfileRate(cpuSampleHz)
		if err := pprof.StartCPUProfile(prof); err != nil {
			log.Fatal(err)
		}
		var wg sync.WaitGroup
		work := map[string]func(){
			"hash":  func() { hashRounds(n(10_000_000)) },
			"sort":  func() { sortRounds(n(8_000)) },
			"fib":   func() { _ = fib(34 + n(1)) },
			"maps":  func() { mapRounds(n(8_000)) },
			"bytes": func() { byteRounds(n(300_000)) },
		}
		for name, f := range work {
			wg.Add(1)
			go func(name string, f func()) {
				defer wg.Done()
				trace.WithRegion(ctx, name, f)
			}(name, f)
		}
		wg.Wait()
		pprof.StopCPUProfile()
	})
}

// hashRounds chains sha256 over a 64-byte block.
func hashRounds(rounds int) {
	var h [32]byte
	for i := 0; i < rounds; i++ {
		h = sha256.Sum256(h[:])
	}
	sink(h[0])
}

// sortRounds sorts a pseudo-random slice again and again.
func sortRounds(rounds int) {
	xs := make([]int, 20_000)
	for r := 0; r < rounds; r++ {
		for i := range xs {
			xs[i] = (i*7919 + r*104729) % 65521
		}
		sort.Ints(xs)
	}
	sink(byte(xs[0]))
}

// fib is naive recursion: deep, repetitive stacks.
func fib(k int) int {
	if k < 2 {
		return k
	}
	return fib(k-1) + fib(k-2)
}

// mapRounds fills and drains one map of int keys (reused: little garbage, so
// few GC cycles bloat the trace).
func mapRounds(rounds int) {
	m := make(map[int]int, 5_000)
	s := 0
	for r := 0; r < rounds; r++ {
		clear(m)
		for i := 0; i < 5_000; i++ {
			m[(i*r)%7919] += i
		}
		for _, v := range m {
			s += v
		}
	}
	sink(byte(s))
}

// byteRounds formats numbers into a reused buffer and scans it (no garbage).
func byteRounds(rounds int) {
	buf := make([]byte, 0, 2048)
	var num [24]byte
	acc := 0
	for r := 0; r < rounds; r++ {
		buf = buf[:0]
		for i := 0; i < 200; i++ {
			buf = strconv.AppendInt(buf, int64(i+r), 10)
			buf = append(buf, ',')
		}
		acc += bytes.Count(buf, []byte{','}) + bytes.Index(buf, strconv.AppendInt(num[:0], int64(r+100), 10))
	}
	sink(byte(acc))
}

var (
	sinkMu   sync.Mutex
	sinkByte byte
)

// sink keeps a result alive (once per workload: no lock traffic in the loops).
func sink(b byte) {
	sinkMu.Lock()
	sinkByte ^= b
	sinkMu.Unlock()
}
