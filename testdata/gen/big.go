package main

// The big scenario (benchmarks only, never committed): a service-like
// workload of many short-lived request goroutines, a worker pool, a
// contended lock, sleeps, regions and occasional tasks, plus HTTP traffic
// over loopback in the background, until the trace reaches -size-mb.
// At 450 MB that is roughly two million goroutines. It keeps the default
// traceadvanceperiod (1s), as a real service's trace would.

import (
	"context"
	"io"
	"runtime/trace"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func init() {
	scenarios["big"] = scenario{
		doc:   "benchmark trace: request goroutines + worker pool + HTTP until -size-mb",
		bench: true,
		run:   big,
	}
}

// countingWriter counts what the tracer has written so far.
type countingWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	k, err := c.w.Write(p)
	c.n.Add(int64(k))
	return k, err
}

type job struct {
	v     int
	reply chan int
}

func big(out io.Writer) error {
	cw := &countingWriter{w: out}
	limit := int64(*sizeMB) * 1_000_000
	return traced(cw, func(ctx context.Context) {
		jobs := make(chan job)
		var workers sync.WaitGroup
		for w := 0; w < 8; w++ {
			workers.Add(1)
			go func() {
				defer workers.Done()
				for j := range jobs {
					h := spin(1 + j.v%2)
					j.reply <- j.v + int(h[0])
				}
			}()
		}
		var (
			mu    sync.Mutex
			state = map[int]int{}
		)
		request := func(id int) {
			rctx := ctx
			if id%100 == 0 {
				var task *trace.Task
				rctx, task = trace.NewTask(ctx, "request")
				defer task.End()
			}
			reply := make(chan int)
			sum := 0
			trace.WithRegion(rctx, "handle", func() {
				for k := 0; k < 5; k++ {
					jobs <- job{v: id + k, reply: reply}
					sum += <-reply
				}
			})
			if id%4 == 0 {
				time.Sleep(20 * time.Microsecond)
			}
			mu.Lock()
			state[id%1024] += sum
			mu.Unlock()
			_ = make([]byte, 512+id%1024)
		}

		stopHTTP := make(chan struct{})
		httpDone := make(chan struct{})
		go func() {
			defer close(httpDone)
			for {
				select {
				case <-stopHTTP:
					return
				default:
				}
				httpService(ctx, 2, 20)
			}
		}()

		sem := make(chan struct{}, 256)
		var reqs sync.WaitGroup
		for id := 0; cw.n.Load() < limit; id++ {
			sem <- struct{}{}
			reqs.Add(1)
			go func(id int) {
				defer reqs.Done()
				request(id)
				<-sem
			}(id)
			if id%100000 == 0 {
				trace.Log(ctx, "big", strconv.Itoa(id)+" requests, "+
					strconv.FormatInt(cw.n.Load()>>20, 10)+" MiB")
			}
		}
		reqs.Wait()
		close(jobs)
		workers.Wait()
		close(stopHTTP)
		<-httpDone
	})
}
