// Command gen writes real Go execution traces for Goroscope's tests.
//
// Each scenario runs a bounded workload under runtime/trace and writes one
// trace file. Scenarios that need a newer Go release live in files behind
// build tags (go1.23, go1.25), so `gen -list` prints what the toolchain that
// built the binary can make. See testdata/README.md and make_testdata.sh.
//
// Usage:
//
//	gen -list
//	gen -o out.trace SCENARIO
//	gen -o big.trace -size-mb 450 big
//
// A scenario may ask for GODEBUG settings (e.g. traceallocfree=1); gen then
// re-executes itself with them added, because the runtime reads some of them
// only at start-up. The GODEBUG in effect is logged into the trace
// (category "gen").
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"runtime/trace"
	"sort"
	"strings"
	"syscall"
)

// scenario is one kind of trace gen can write.
type scenario struct {
	doc     string
	godebug string // extra GODEBUG settings, comma separated
	bench   bool   // benchmark input: not listed by -list, never committed
	// run writes the trace to out. Most scenarios use traced(); those that
	// manage tracing themselves (restart, flightrecorder) do not.
	run func(out io.Writer) error
}

var scenarios = map[string]scenario{}

func register(name, doc, godebug string, run func(out io.Writer) error) {
	scenarios[name] = scenario{doc: doc, godebug: godebug, run: run}
}

// Flags shared by scenarios.
var (
	sizeMB = flag.Int("size-mb", 450, "big: stop once the trace reaches this many MB")
	scale  = flag.Float64("scale", 1, "multiply loop counts of the small scenarios")
)

// advancePeriod is the GODEBUG traceadvanceperiod (ns) every scenario uses so
// that even small traces span several generations (Go 1.22+; Go 1.21 ignores
// it). The default is one second.
const advancePeriod = "traceadvanceperiod=50000000"

func main() {
	log.SetFlags(0)
	log.SetPrefix("gen: ")
	list := flag.Bool("list", false, "print the testdata scenarios this build supports and exit")
	out := flag.String("o", "", "output trace file")
	flag.Parse()
	if *list {
		names := make([]string, 0, len(scenarios))
		for n, sc := range scenarios {
			if !sc.bench {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Printf("%s\t%s\n", n, scenarios[n].doc)
		}
		return
	}
	if flag.NArg() != 1 || *out == "" {
		log.Fatal("usage: gen -o OUT.trace SCENARIO   (gen -list shows scenarios)")
	}
	sc, ok := scenarios[flag.Arg(0)]
	if !ok {
		log.Fatalf("unknown scenario %q for %s", flag.Arg(0), runtime.Version())
	}
	if sc.bench {
		reexecWithGODEBUG(sc.godebug) // the default period, as a real service has
	} else {
		reexecWithGODEBUG(advancePeriod + optComma(sc.godebug))
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := sc.run(f); err != nil {
		log.Fatalf("%s: %v", flag.Arg(0), err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

func optComma(s string) string {
	if s == "" {
		return ""
	}
	return "," + s
}

// reexecWithGODEBUG restarts the process with the settings appended to
// GODEBUG unless they are already there.
func reexecWithGODEBUG(want string) {
	if want == "" {
		return
	}
	cur := os.Getenv("GODEBUG")
	missing := false
	for _, kv := range strings.Split(want, ",") {
		if !strings.Contains(","+cur+",", ","+kv+",") {
			missing = true
		}
	}
	if !missing {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	env := []string{"GODEBUG=" + strings.TrimPrefix(cur+","+want, ",")}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "GODEBUG=") {
			env = append(env, e)
		}
	}
	log.Fatal(syscall.Exec(exe, os.Args, env))
}

// traced runs body while tracing to out and logs how the trace was made.
func traced(out io.Writer, body func(ctx context.Context)) error {
	if err := trace.Start(out); err != nil {
		return err
	}
	ctx := context.Background()
	describe(ctx)
	body(ctx)
	trace.Stop()
	return nil
}

// describe logs the Go version, GOMAXPROCS and GODEBUG into the trace.
func describe(ctx context.Context) {
	trace.Log(ctx, "gen", fmt.Sprintf("%s %s/%s GOMAXPROCS=%d GODEBUG=%s",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), os.Getenv("GODEBUG")))
}

// n scales a loop count by -scale (at least 1).
func n(base int) int {
	v := int(float64(base) * *scale)
	if v < 1 {
		return 1
	}
	return v
}
