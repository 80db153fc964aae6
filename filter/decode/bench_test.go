package decode

import (
	"bytes"
	"os"
	"sort"
	"testing"
	"time"
)

// BenchmarkParseCorpus decodes every corpus message once per iteration
// and reports the time per message.
func BenchmarkParseCorpus(b *testing.B) {
	var msgs [][]byte
	total := 0
	for _, f := range corpusFiles(b) {
		m, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, m)
		total += len(m)
	}
	b.ReportAllocs()
	b.SetBytes(int64(total))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range msgs {
			if _, err := Parse(bytes.NewReader(m), Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(msgs)), "ns/msg")
}

// BenchmarkParse25MB decodes a message with a 25 MB attachment.
func BenchmarkParse25MB(b *testing.B) {
	msg := big25MB()
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(bytes.NewReader(msg), Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParseSpeed reports the median and worst time per corpus message,
// a cheap guard against an accidental quadratic path (the budget is 1 ms
// per ~10 KB message; the check allows for a loaded test machine).
func TestParseSpeed(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	var ds []time.Duration
	for _, f := range corpusFiles(t) {
		m, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		best := time.Hour
		for k := 0; k < 5; k++ {
			start := time.Now()
			if _, err := Parse(bytes.NewReader(m), Limits{}); err != nil {
				t.Fatal(err)
			}
			best = min(best, time.Since(start))
		}
		ds = append(ds, best)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	med, worst := ds[len(ds)/2], ds[len(ds)-1]
	t.Logf("corpus: median %v, worst %v per message", med, worst)
	if med > 5*time.Millisecond {
		t.Errorf("median %v per message", med)
	}
}
