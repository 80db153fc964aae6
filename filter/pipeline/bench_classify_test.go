//go:build unix

package pipeline

import (
	"bytes"
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/internal/mtatest"
	"github.com/tradesift/tradesift/filter/spool"
)

// benchMessages are the relay benchmark's messages: each corpus inquiry
// in CRLF form with a "> "-quoted thread of other inquiries appended
// until it is at least minSize bytes (as filter/e2e builds them).
func benchMessages(tb testing.TB, minSize int) [][]byte {
	var src [][]byte
	for _, b := range corpus(tb) {
		src = append(src, mtatest.ToCRLF(b))
	}
	out := make([][]byte, len(src))
	for i, m := range src {
		m = append([]byte{}, m...)
		for k := 1; len(m) < minSize && k <= len(src); k++ {
			other := src[(i+k)%len(src)]
			m = append(m, "\r\nOn an earlier day, someone wrote:\r\n"...)
			for _, line := range bytes.Split(bytes.TrimSuffix(other, []byte("\r\n")), []byte("\r\n")) {
				m = append(m, "> "...)
				m = append(m, line...)
				m = append(m, '\r', '\n')
				if len(m) >= minSize {
					break
				}
			}
		}
		out[i] = m
	}
	return out
}

// BenchmarkAnalyze10KB is the classify path (decode, sender traits,
// extract, judge, header block; no DNS) over the 10 KB messages of the
// relay benchmark, one message per op. cpu-ns/op is the process's CPU
// time (user and system, all threads: the collector too), which a busy
// machine disturbs less than ns/op.
func BenchmarkAnalyze10KB(b *testing.B) {
	msgs := benchMessages(b, 10<<10)
	p := newTestPipeline(b, nil)
	ctx := context.Background()
	var size int64
	for _, m := range msgs {
		size += int64(len(m))
	}
	b.SetBytes(size / int64(len(msgs)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		p.Analyze(ctx, spool.Envelope{}, opener(msgs[i%len(msgs)]))
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
