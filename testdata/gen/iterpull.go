//go:build go1.23

package main

// iter.Pull coroutines (Go 1.23+): GoSwitch / GoSwitchDestroy events and
// goroutines created blocked (GoCreateBlocked).

import (
	"context"
	"io"
	"iter"
	"runtime/trace"
	"sync"
	"time"
)

func init() {
	register("iterpull", "iter.Pull/Pull2 coroutines, passed between goroutines, stopped early", "", iterPull)
}

func count(limit int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; i < limit; i++ {
			spin(3)
			if !yield(i) {
				return
			}
		}
	}
}

// sleepy yields after sleeping, so the coroutine blocks while it runs.
func sleepy(limit int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; i < limit; i++ {
			time.Sleep(time.Millisecond)
			if !yield(i) {
				return
			}
		}
	}
}

func pairs(limit int) iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		for i := 0; i < limit; i++ {
			if !yield(i, "v") {
				return
			}
		}
	}
}

func iterPull(out io.Writer) error {
	return traced(out, func(ctx context.Context) {
		trace.WithRegion(ctx, "pull all", func() {
			next, stop := iter.Pull(count(n(2000)))
			defer stop()
			for _, ok := next(); ok; _, ok = next() {
			}
		})
		trace.WithRegion(ctx, "pull2 stop early", func() {
			next, stop := iter.Pull2(pairs(1000))
			for i := 0; i < 10; i++ {
				next()
			}
			stop()
		})
		trace.WithRegion(ctx, "bounce between goroutines", func() {
			next, stop := iter.Pull(count(n(3000)))
			defer stop()
			var ch [2]chan struct{}
			ch[0], ch[1] = make(chan struct{}), make(chan struct{})
			var wg sync.WaitGroup
			for side := 0; side < 2; side++ {
				wg.Add(1)
				go func(side int) {
					defer wg.Done()
					for range ch[side] {
						if _, ok := next(); !ok {
							close(ch[1-side])
							return
						}
						ch[1-side] <- struct{}{}
					}
				}(side)
			}
			ch[0] <- struct{}{}
			wg.Wait()
		})
		trace.WithRegion(ctx, "sleepy coroutine across generations", func() {
			next, stop := iter.Pull(sleepy(n(120)))
			defer stop()
			for _, ok := next(); ok; _, ok = next() {
			}
		})
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := 0; r < n(100); r++ {
					next, stop := iter.Pull(count(20))
					for _, ok := next(); ok; _, ok = next() {
					}
					stop()
				}
			}()
		}
		wg.Wait()
	})
}
