package main

// Scenarios every Go version (1.21+) can write.

import (
	"context"
	"io"
	"log"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"time"
)

func init() {
	register("service", "kitchen sink: HTTP over loopback, Mutex/RWMutex, channels/select, "+
		"WaitGroup/Cond, timers, file I/O, pipe syscalls, GC, goroutine bursts, blocked-forever "+
		"goroutines, LockOSThread, GOMAXPROCS changes, tasks/regions/logs", "", service)
	register("gc", "heavy allocation: several GC cycles with mark assists, explicit GC, "+
		"FreeOSMemory, GOMAXPROCS changes", "", gcScenario)
	register("annotations", "nested tasks, regions and logs with Unicode names and categories, "+
		"a task spanning generations, a task begun before tracing, one never ended", "", annotations)
	register("cpuprofile", "CPU-bound work with the CPU profiler on (StackSample events)", "", cpuprofile)
	register("restart", "the second trace of a process (first one discarded), so generations "+
		"start above 1", "", restart)
}

// parallel runs the named functions at once, each in a region of ctx.
func parallel(ctx context.Context, jobs map[string]func()) {
	var wg sync.WaitGroup
	for name, f := range jobs {
		wg.Add(1)
		go func(name string, f func()) {
			defer wg.Done()
			trace.WithRegion(ctx, name, f)
		}(name, f)
	}
	wg.Wait()
}

func service(out io.Writer) error {
	blockForever() // before tracing: these appear at trace start
	return traced(out, func(ctx context.Context) {
		stop := lockedThread()
		blockForever()
		parallel(ctx, map[string]func(){
			"http":     func() { httpService(ctx, 6, n(120)) },
			"locks":    func() { lockContention(6, n(600)) },
			"pipeline": func() { pipeline(n(4500)) },
			"cond":     func() { condQueue(3, 3, n(600)) },
			"timers":   func() { timers(n(120)) },
			"files":    func() { fileIO(n(48), 32<<10) },
			"pipes":    func() { pipeSyscalls(n(120)) },
			"alloc":    func() { allocHeavy(2, n(45)) },
			"bursts":   func() { bursts(n(24), 150) },
			"orders": func() {
				for i := 0; i < n(24); i++ {
					annotate(ctx, i)
				}
			},
			"gomaxprocs": func() { gomaxprocsDance(func() { time.Sleep(15 * time.Millisecond) }) },
		})
		stop()
	})
}

func gcScenario(out io.Writer) error {
	return traced(out, func(ctx context.Context) {
		old := debug.SetGCPercent(50)
		defer debug.SetGCPercent(old)
		for phase := 0; phase < 4; phase++ {
			trace.WithRegion(ctx, "alloc", func() { allocHeavy(4, n(20)) })
			time.Sleep(30 * time.Millisecond) // spread over generations
		}
		gomaxprocsDance(func() { allocHeavy(2, n(10)) })
		trace.WithRegion(ctx, "explicit GC", runtime.GC)
		trace.WithRegion(ctx, "FreeOSMemory", debug.FreeOSMemory)
	})
}

func annotations(out io.Writer) error {
	// A task begun before tracing and ended during it: the trace holds only
	// its TaskEnd.
	_, early := trace.NewTask(context.Background(), "early task")
	return traced(out, func(ctx context.Context) {
		early.End()
		lctx, long := trace.NewTask(ctx, "long task ⏳")
		trace.Log(lctx, "phase", "start")
		_, never := trace.NewTask(ctx, "never ended")
		_ = never
		var wg sync.WaitGroup
		for w := 0; w < 3; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < n(60); i++ {
					annotate(lctx, w*100+i)
				}
			}(w)
		}
		wg.Wait()
		trace.WithRegion(lctx, "sleep across generations", func() {
			time.Sleep(120 * time.Millisecond) // traceadvanceperiod is 50ms
		})
		trace.Log(lctx, "phase", "end")
		long.End()
	})
}

func cpuprofile(out io.Writer) error {
	return traced(out, func(ctx context.Context) {
		if err := pprof.StartCPUProfile(io.Discard); err != nil {
			log.Fatal(err)
		}
		trace.WithRegion(ctx, "cpu", func() { cpuWork(time.Duration(n(400)) * time.Millisecond) })
		trace.WithRegion(ctx, "mixed", func() {
			parallel(ctx, map[string]func(){
				"locks":    func() { lockContention(4, n(400)) },
				"alloc":    func() { allocHeavy(2, n(20)) },
				"pipeline": func() { pipeline(n(2000)) },
				"bursts":   func() { bursts(n(10), 100) },
				"orders":   func() { annotate(ctx, 1) },
			})
		})
		pprof.StopCPUProfile()
	})
}

func restart(out io.Writer) error {
	// First trace: discarded; it uses up generation numbers.
	if err := trace.Start(io.Discard); err != nil {
		return err
	}
	pipeline(n(300))
	time.Sleep(160 * time.Millisecond) // a few generations
	trace.Stop()
	return traced(out, func(ctx context.Context) {
		parallel(ctx, map[string]func(){
			"pipeline": func() { pipeline(n(3000)) },
			"timers":   func() { timers(n(100)) },
			"orders": func() {
				for i := 0; i < n(20); i++ {
					annotate(ctx, i)
				}
			},
		})
		time.Sleep(120 * time.Millisecond)
	})
}
