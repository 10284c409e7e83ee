//go:build cgo && !go1.22

package main

// Go 1.21's tracer writes traces that Go's own parser rejects ("no consistent
// ordering of events possible", golang/go#29707: the extra M's goroutine of
// a C thread calling into Go has no events before its first syscall exit).
// So on 1.21 "cgo" leaves C threads out, and "cgo-cthreads" writes such a
// broken trace on purpose: a real trace that must fail to parse.

import "io"

const (
	cThreadsOK = false
	cgoDoc     = "Go->C->Go callbacks and goroutines blocking in C (no C threads: golang/go#29707)"
)

func init() {
	register("cgo-cthreads", "C threads calling into Go: Go's parser rejects this Go 1.21 trace "+
		"(golang/go#29707)", "", func(out io.Writer) error { return cgoScenario(out, true) })
}
