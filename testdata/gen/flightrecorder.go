//go:build go1.25

package main

// A runtime/trace.FlightRecorder snapshot (Go 1.25+): only the last
// generations are kept, so the written trace's generations start above 1.

import (
	"context"
	"io"
	"runtime/trace"
	"time"
)

func init() {
	register("flightrecorder", "FlightRecorder snapshot of a busy service; early generations "+
		"dropped", "", flightRecorder)
}

func flightRecorder(out io.Writer) error {
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{
		MinAge:   150 * time.Millisecond,
		MaxBytes: 1 << 20,
	})
	if err := fr.Start(); err != nil {
		return err
	}
	ctx := context.Background()
	describe(ctx)
	deadline := time.Now().Add(time.Duration(n(800)) * time.Millisecond)
	for i := 0; time.Now().Before(deadline); i++ {
		parallel(ctx, map[string]func(){
			"pipeline": func() { pipeline(200) },
			"locks":    func() { lockContention(3, 30) },
			"orders":   func() { annotate(ctx, i) },
			"timers":   func() { timers(10) },
		})
	}
	_, err := fr.WriteTo(out)
	fr.Stop()
	return err
}
