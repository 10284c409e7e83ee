//go:build go1.23

package main

// GODEBUG=traceallocfree=1 (Go 1.23+): the AllocFree experiment's events
// (heap spans, objects and goroutine stacks allocated and freed), carried in
// experimental batches.

import (
	"context"
	"io"
	"runtime"
	"runtime/trace"
	"time"
)

func init() {
	register("allocfree", "a small allocating workload with GODEBUG=traceallocfree=1 "+
		"(experimental alloc/free events)", "traceallocfree=1", allocFree)
}

func allocFree(out io.Writer) error {
	return traced(out, func(ctx context.Context) {
		trace.WithRegion(ctx, "alloc", func() { allocHeavy(2, n(3)) })
		trace.WithRegion(ctx, "bursts", func() { bursts(n(4), 50) })
		time.Sleep(60 * time.Millisecond) // next generation
		trace.WithRegion(ctx, "GC", runtime.GC)
		time.Sleep(60 * time.Millisecond)
		trace.WithRegion(ctx, "alloc again", func() { allocHeavy(2, n(2)) })
	})
}
