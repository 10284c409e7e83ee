// Command goprocs prints, for each trace, how many events Go's reader (internal/trace, old
// formats converted by tracev1.go) gives per processor ID and per (processor ID, event kind)
// as one JSON object per line: "NAME {json}" or "NAME ERR message". Built inside a GOROOT by
// tests/v1/make_go_procs.py (internal/trace is importable only from there).
package main

import (
	"encoding/json"
	"fmt"
	"internal/trace"
	"io"
	"os"
)

func main() {
	for _, name := range os.Args[1:] {
		f, err := os.Open(name)
		if err != nil {
			panic(err)
		}
		r, err := trace.NewReader(f)
		if err != nil {
			fmt.Println(name, "ERR", err)
			f.Close()
			continue
		}
		out := map[string]int{}
		for {
			ev, err := r.ReadEvent()
			if err == io.EOF {
				break
			}
			if err != nil {
				out["error"] = 1
				break
			}
			out[fmt.Sprintf("%d/%s", ev.Proc(), ev.Kind())]++
			out[fmt.Sprintf("%d", ev.Proc())]++
		}
		b, _ := json.Marshal(out)
		fmt.Println(name, string(b))
		f.Close()
	}
}
