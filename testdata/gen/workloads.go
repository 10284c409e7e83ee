package main

// Bounded workloads. Each one does real work that shows up in an execution
// trace in a particular way; the comment says which events to expect.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/trace"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// spin burns CPU for roughly the given number of hash rounds.
func spin(rounds int) [32]byte {
	var h [32]byte
	for i := 0; i < rounds; i++ {
		h = sha256.Sum256(h[:])
	}
	return h
}

// httpService serves requests on 127.0.0.1 to concurrent clients: goroutines
// block on the network poller (GoBlock reason "network"), the server spawns a
// goroutine per connection, handlers open tasks and regions and take an
// RWMutex-guarded cache.
func httpService(ctx context.Context, clients, requests int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	var (
		cacheMu sync.RWMutex
		cache   = map[string]string{}
	)
	mux := http.NewServeMux()
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		ctx, task := trace.NewTask(r.Context(), "http.request")
		defer task.End()
		key := r.URL.Query().Get("k")
		trace.Log(ctx, "http", "GET /work?k="+key)
		var val string
		trace.WithRegion(ctx, "cache.lookup", func() {
			cacheMu.RLock()
			val = cache[key]
			cacheMu.RUnlock()
		})
		if val == "" {
			trace.WithRegion(ctx, "compute", func() {
				h := spin(200)
				val = hex.EncodeToString(h[:])
				cacheMu.Lock()
				cache[key] = val
				cacheMu.Unlock()
			})
		}
		fmt.Fprintf(w, "%s=%s\n", key, val)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond)
		io.WriteString(w, "slow\n")
	})
	mux.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(body)
		fmt.Fprintf(w, "%d %x\n", len(body), sum[:4])
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	base := "http://" + ln.Addr().String()

	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			tr := &http.Transport{MaxIdleConnsPerHost: 2, DisableKeepAlives: c%3 == 0}
			defer tr.CloseIdleConnections()
			cl := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			payload := bytes.Repeat([]byte("goroscope "), 3000)
			for i := 0; i < requests; i++ {
				var resp *http.Response
				var err error
				switch i % 4 {
				case 0, 1:
					resp, err = cl.Get(base + "/work?k=" + strconv.Itoa((c*7+i)%23))
				case 2:
					resp, err = cl.Get(base + "/slow")
				default:
					resp, err = cl.Post(base+"/upload", "application/octet-stream", bytes.NewReader(payload))
				}
				if err != nil {
					log.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}(c)
	}
	wg.Wait()
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
}

// lockContention makes workers fight over a sync.Mutex and a sync.RWMutex
// (GoBlock reason "sync", GoUnblock by the unlocking goroutine).
func lockContention(workers, iters int) {
	var (
		mu    sync.Mutex
		rw    sync.RWMutex
		total int
		table = make([]int, 64)
		wg    sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < iters; i++ {
				mu.Lock()
				h := spin(20)
				total += int(h[0])
				mu.Unlock()
				if i%8 == 0 {
					rw.Lock()
					spin(30)
					table[(w+i)%len(table)]++
					rw.Unlock()
				} else {
					rw.RLock()
					_ = table[i%len(table)]
					spin(5)
					rw.RUnlock()
				}
			}
		}(w)
	}
	wg.Wait()
}

// pipeline passes items through unbuffered and buffered channels with select,
// timeouts and non-blocking attempts (reasons "chan send", "chan receive",
// "select").
func pipeline(items int) {
	src := make(chan int)
	mid := make(chan [32]byte, 4)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	go func() {
		for i := 0; i < items; i++ {
			src <- i
		}
		close(src)
	}()
	for s := 0; s < 3; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range src {
				mid <- spin(10 + i%7)
			}
		}()
	}
	go func() { wg.Wait(); close(mid) }()
	got, timeouts, misses := 0, 0, 0
	tick := time.NewTicker(200 * time.Microsecond)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case _, ok := <-mid:
			if !ok {
				done = true
			}
			got++
		case <-tick.C:
			timeouts++
		case <-quit:
			done = true
		}
		select {
		case <-quit:
		default:
			misses++
		}
	}
	close(quit)
	_ = got + timeouts + misses
}

// condQueue is a bounded queue guarded by a sync.Cond, drained by consumers
// and joined with a WaitGroup (reasons "sync.Cond", "sync" for wg.Wait).
func condQueue(producers, consumers, items int) {
	var (
		mu     sync.Mutex
		cond   = sync.NewCond(&mu)
		queue  []int
		closed bool
		pw, cw sync.WaitGroup
	)
	for c := 0; c < consumers; c++ {
		cw.Add(1)
		go func() {
			defer cw.Done()
			for {
				mu.Lock()
				for len(queue) == 0 && !closed {
					cond.Wait()
				}
				if len(queue) == 0 && closed {
					mu.Unlock()
					return
				}
				v := queue[0]
				queue = queue[1:]
				cond.Broadcast() // wake producers waiting for room
				mu.Unlock()
				spin(v % 13)
			}
		}()
	}
	for p := 0; p < producers; p++ {
		pw.Add(1)
		go func(p int) {
			defer pw.Done()
			for i := 0; i < items; i++ {
				mu.Lock()
				for len(queue) >= 8 {
					cond.Wait()
				}
				queue = append(queue, p*items+i)
				cond.Signal()
				mu.Unlock()
			}
		}(p)
	}
	pw.Wait()
	mu.Lock()
	closed = true
	cond.Broadcast()
	mu.Unlock()
	cw.Wait()
}

// timers sleeps and waits on timers, tickers, AfterFunc and context
// deadlines (reason "sleep", timer goroutines).
func timers(rounds int) {
	for i := 0; i < rounds; i++ {
		time.Sleep(time.Duration(100+50*(i%5)) * time.Microsecond)
	}
	t := time.NewTimer(time.Millisecond)
	<-t.C
	tk := time.NewTicker(300 * time.Microsecond)
	for i := 0; i < rounds; i++ {
		<-tk.C
	}
	tk.Stop()
	fired := make(chan struct{})
	time.AfterFunc(500*time.Microsecond, func() { close(fired) })
	<-fired
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	<-ctx.Done()
	cancel()
}

// fileIO writes, fsyncs, reads and removes files (syscalls).
func fileIO(files, size int) {
	dir, err := os.MkdirTemp("", "goroscope-gen-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	buf := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	for i := 0; i < files; i++ {
		name := filepath.Join(dir, fmt.Sprintf("f%03d", i))
		f, err := os.Create(name)
		if err != nil {
			log.Fatal(err)
		}
		f.Write(buf)
		f.Sync()
		f.Close()
		if b, err := os.ReadFile(name); err != nil || len(b) != len(buf) {
			log.Fatalf("read back %s: %v", name, err)
		}
	}
}

// pipeSyscalls blocks goroutines in read(2) on raw pipe descriptors, outside
// the network poller, so the trace shows long GoSyscallBegin/End and Ps taken
// from blocked syscalls.
func pipeSyscalls(rounds int) {
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		log.Fatal(err)
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1)
		for i := 0; i < rounds; i++ {
			if _, err := syscall.Read(p[0], buf); err != nil {
				log.Fatal(err)
			}
		}
	}()
	for i := 0; i < rounds; i++ {
		time.Sleep(500 * time.Microsecond)
		syscall.Write(p[1], []byte{byte(i)})
	}
	<-done
}

type node struct {
	left, right *node
	val         [8]int64
}

func tree(depth int) *node {
	if depth == 0 {
		return &node{}
	}
	return &node{left: tree(depth - 1), right: tree(depth - 1)}
}

// allocHeavy keeps a live heap of trees while workers allocate new ones, so
// the GC runs several cycles and allocating goroutines do mark assists.
func allocHeavy(workers, rounds int) {
	live := make([]*node, 64)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				t := tree(10) // ~1 MB of small objects
				mu.Lock()
				live[(w*rounds+i)%len(live)] = t
				mu.Unlock()
				_ = make([]byte, 64<<10)
			}
		}(w)
	}
	wg.Wait()
	runtime.KeepAlive(live)
}

// bursts starts waves of short-lived goroutines (GoCreate, GoDestroy).
func bursts(waves, per int) {
	for i := 0; i < waves; i++ {
		var wg sync.WaitGroup
		results := make([]byte, per)
		for j := 0; j < per; j++ {
			wg.Add(1)
			go func(j int) {
				defer wg.Done()
				h := spin(1 + j%3)
				results[j] = h[0]
			}(j)
		}
		wg.Wait()
		time.Sleep(200 * time.Microsecond)
	}
}

// forever keeps what blockForever's goroutines wait on reachable.
var forever []any

// blockForever starts goroutines that never finish: they are still blocked
// when the trace ends (and, when started before tracing, appear at trace
// start through GoStatus events).
func blockForever() {
	mu := new(sync.Mutex)
	mu.Lock() // never unlocked
	cond := sync.NewCond(new(sync.Mutex))
	ch := make(chan int)
	forever = append(forever, mu, cond, ch)
	ready := make(chan struct{}, 5)
	go func() { ready <- struct{}{}; select {} }()
	go func() { ready <- struct{}{}; var c chan int; <-c }()
	go func() { ready <- struct{}{}; ch <- 1 }()
	go func() { ready <- struct{}{}; mu.Lock() }()
	go func() {
		cond.L.Lock()
		ready <- struct{}{}
		cond.Wait()
	}()
	for i := 0; i < 5; i++ {
		<-ready
	}
	time.Sleep(time.Millisecond) // let them park
}

// lockedThread runs a goroutine wired to its OS thread with LockOSThread,
// alternating work, sleeps and channel waits; returns a stop function.
func lockedThread() (stop func()) {
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(done)
		for i := 0; ; i++ {
			spin(50)
			select {
			case <-quit:
				return
			case <-time.After(300 * time.Microsecond):
			}
		}
	}()
	return func() { close(quit); <-done }
}

// gomaxprocsDance changes GOMAXPROCS up and down while work runs, then
// restores it (ProcStart/ProcStop, STW "GOMAXPROCS").
func gomaxprocsDance(work func()) {
	old := runtime.GOMAXPROCS(0)
	for _, p := range []int{1, 4, 2, 3, 1, old} {
		runtime.GOMAXPROCS(p)
		work()
	}
}

// annotate makes nested tasks, regions and logs, with Unicode names and
// categories, some of them on other goroutines.
func annotate(ctx context.Context, id int) {
	ctx, task := trace.NewTask(ctx, "заказ/order")
	defer task.End()
	trace.Log(ctx, "order", "id="+strconv.Itoa(id))
	trace.Logf(ctx, "", "uncategorised log %d", id)
	trace.WithRegion(ctx, "検証 validate", func() {
		spin(30)
		trace.WithRegion(ctx, "schema", func() { spin(10) })
	})
	var wg sync.WaitGroup
	for part := 0; part < 3; part++ {
		wg.Add(1)
		go func(part int) {
			defer wg.Done()
			sctx, sub := trace.NewTask(ctx, "子任务 part")
			defer sub.End()
			r := trace.StartRegion(sctx, "fetch 📦")
			time.Sleep(time.Duration(100*(part+1)) * time.Microsecond)
			trace.Log(sctx, "ключ", fmt.Sprintf("part %d of order %d", part, id))
			r.End()
			r = trace.StartRegion(sctx, "merge")
			spin(20)
			r.End()
		}(part)
	}
	wg.Wait()
	trace.WithRegion(ctx, "commit ✓", func() {
		time.Sleep(200 * time.Microsecond)
		trace.Log(ctx, "order", "committed")
	})
}

// cpuWork keeps every P busy with hashing and sorting for about d.
func cpuWork(d time.Duration) {
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			xs := make([]int, 2000)
			for time.Now().Before(deadline) {
				for i := range xs {
					xs[i] = (i*7919 + w) % 1009
				}
				sort.Ints(xs)
				spin(100)
			}
		}(w)
	}
	wg.Wait()
}
