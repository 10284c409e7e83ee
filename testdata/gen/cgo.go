//go:build cgo

package main

// The cgo scenario: C threads created with pthread_create call back into Go,
// and Go goroutines block in C calls.

/*
#include <pthread.h>
#include <unistd.h>

extern void goCallback(int);

static void *worker(void *arg) {
	int id = (int)(long)arg;
	for (int i = 0; i < 100; i++) {
		goCallback(id * 1000 + i);
		usleep(500);
	}
	return 0;
}

static void runThreads(int n) {
	pthread_t th[16];
	if (n > 16) n = 16;
	for (int i = 0; i < n; i++) pthread_create(&th[i], 0, worker, (void *)(long)i);
	for (int i = 0; i < n; i++) pthread_join(th[i], 0);
}

static void cSleep(int us) { usleep(us); }

// cCallback calls back into Go on the calling (Go-created) thread.
static void cCallback(int v) { goCallback(v); }
*/
import "C"

import (
	"context"
	"io"
	"runtime/trace"
	"sync"
)

var callbacks = make(chan int, 1024)

//export goCallback
func goCallback(v C.int) {
	h := spin(20 + int(v)%10)
	buf := make([]byte, 4096+int(h[0]))
	callbacks <- int(v) + len(buf)
}

func init() {
	register("cgo", cgoDoc, "", func(out io.Writer) error { return cgoScenario(out, cThreadsOK) })
}

// cgoScenario: goroutines block in C (usleep) and call C that calls back
// into Go; with cThreads, C threads made by pthread_create call into Go too.
func cgoScenario(out io.Writer, cThreads bool) error {
	return traced(out, func(ctx context.Context) {
		drained := make(chan int)
		go func() {
			sum := 0
			for v := range callbacks {
				sum += v
			}
			drained <- sum
		}()
		var wg sync.WaitGroup
		for g := 0; g < 3; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for r := 0; r < n(3); r++ {
					if cThreads {
						trace.WithRegion(ctx, "C threads", func() { C.runThreads(C.int(2 + g)) })
					}
					trace.WithRegion(ctx, "Go to C to Go", func() {
						for i := 0; i < 50; i++ {
							C.cCallback(C.int(g*1000 + i))
						}
					})
					for i := 0; i < 20; i++ {
						C.cSleep(C.int(1000))
					}
				}
			}(g)
		}
		wg.Wait()
		close(callbacks)
		<-drained
	})
}
