package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/internal/dnstest"
	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// Load shape of the relay benchmark (issue: ≥ 5,000 realistic ~10 KB
// messages, 20 concurrent sessions, into smtp-sink).
const (
	benchSessions = 20
	benchMsgSize  = 10_000
)

// benchResult is one load run through one relay.
type benchResult struct {
	Name     string
	N        int
	Failed   int
	Accept   time.Duration // first MAIL to last 250
	EndToEnd time.Duration // first MAIL to last message at the sink
	P50, P99 time.Duration // per-message transaction time, MAIL to 250
	PeakRSS  int64         // relay's VmHWM after the run, 0 if unknown
	CPU      time.Duration // relay's CPU time during the run, 0 if unknown
}

// cpuPerMsg is the relay's CPU time per message in ms, 0 if unknown.
func (r benchResult) cpuPerMsg() float64 { return ms(r.CPU) / float64(r.N-r.Failed) }

func (r benchResult) acceptRate() float64 { return float64(r.N-r.Failed) / r.Accept.Seconds() }
func (r benchResult) e2eRate() float64    { return float64(r.N-r.Failed) / r.EndToEnd.Seconds() }

// runLoad pushes msgs into addr over `sessions` sessions (one connection
// each, many messages per connection, as an MTA with connection caching
// sends) and waits until the sink has them all.
func runLoad(tb testing.TB, name, addr string, sink *mtatest.Sink, msgs [][]byte, sessions int) benchResult {
	tb.Helper()
	base := sink.Count()
	lat := make([]time.Duration, len(msgs))
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < sessions; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := mtatest.DialSender(addr)
			if err != nil {
				tb.Errorf("%s: dial: %v", name, err)
				return
			}
			defer s.Close()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(msgs) {
					return
				}
				t0 := time.Now()
				if err := s.Send("buyer@example.org", []string{"sales@" + Domain}, msgs[i]); err != nil {
					if failed.Add(1) <= 5 {
						tb.Errorf("%s: message %d: %v", name, i, err)
					}
					if !mtatest.IsTemporary(err) && !mtatest.IsPermanent(err) {
						return
					}
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	accept := time.Since(start)
	want := base + len(msgs) - int(failed.Load())
	if got := sink.WaitCount(want, 5*time.Minute); got < want {
		tb.Errorf("%s: sink has %d of %d", name, got-base, want-base)
	}
	e2e := time.Since(start)
	sorted := append([]time.Duration(nil), lat...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	pct := func(p float64) time.Duration { return sorted[int(float64(len(sorted)-1)*p)] }
	return benchResult{Name: name, N: len(msgs), Failed: int(failed.Load()), Accept: accept, EndToEnd: e2e, P50: pct(0.50), P99: pct(0.99)}
}

func benchN(def int) int {
	if n, err := strconv.Atoi(os.Getenv("TRADESIFT_BENCH_N")); err == nil && n > 0 {
		return n
	}
	return def
}

// benchConfig relays to sink; with auth, DKIM, SPF and DMARC are checked
// against a local dnsmasq (empty zone: every lookup answered NXDOMAIN at
// once).
func benchConfig(tb testing.TB, sink *mtatest.Sink, auth bool) relayConfig {
	c := relayConfig{Downstream: "smtp://" + sink.Addr, Auth: auth}
	if auth {
		c.Resolver = dnstest.StartDNSMasq(tb, dnstest.Zone{}).Addr
	}
	return c
}

// startBenchTradesift runs tradesift with benchConfig.
func startBenchTradesift(tb testing.TB, sink *mtatest.Sink, auth bool) *mtatest.Tradesift {
	return startRelay(tb, benchConfig(tb, sink, auth))
}

// TestRelayBenchmark (TRADESIFT_BENCH=1) runs the benchmark and
// prints a table: the same ≥ 5,000 corpus messages of ~10 KB, 20
// sessions, through tradesift and through a stock private Postfix, both
// into smtp-sink, in the same run; then tradesift with auth on; then the
// relay's peak RSS with 25 MB messages. TRADESIFT_BENCH_N changes the
// message count, TRADESIFT_BENCH_AUTH=0 leaves out the auth run,
// TRADESIFT_BENCH_SHM=1 adds a diagnostic run with the spool on /dev/shm
// (fsync free, not durable), TRADESIFT_BENCH_PROFILE=FILE saves an 8 s
// CPU profile of the relay taken during its measured run (and FILE.allocs,
// its allocations since it started). Each measured
// run starts 31 s after the one before (see settle).
//
//	TRADESIFT_BENCH=1 go test ./filter/e2e -run TestRelayBenchmark -v -timeout 30m
func TestRelayBenchmark(t *testing.T) {
	if os.Getenv("TRADESIFT_BENCH") != "1" {
		t.Skip("set TRADESIFT_BENCH=1 to run the relay benchmark")
	}
	n := benchN(5000)
	msgs := corpusMessages(t, "bench", n, benchMsgSize)
	size := 0
	for _, m := range msgs {
		size += len(m)
	}
	sink := mtatest.StartSMTPSink(t, mtatest.SinkOptions{})

	var results []benchResult
	// Warm both up with a few messages so that start-up is not measured.
	warm := corpusMessages(t, "warm", 50, benchMsgSize)

	settle(t)
	pf := mtatest.StartPostfix(t, mtatest.PostfixOptions{Relayhost: "[127.0.0.1]:" + portOf(sink.Addr)})
	runLoad(t, "postfix warm-up", pf.Addr, sink, warm, benchSessions)
	results = append(results, runLoad(t, "postfix", pf.Addr, sink, msgs, benchSessions))
	pf.Stop()

	// The default configuration, with a profile if asked for.
	c := benchConfig(t, sink, false)
	prof := os.Getenv("TRADESIFT_BENCH_PROFILE")
	if prof != "" {
		c.Metrics, c.Pprof = mtatest.FreeAddr(t), true
	}
	results = append(results, measureTradesift(t, "tradesift", c, sink, warm, msgs, prof))

	if os.Getenv("TRADESIFT_BENCH_AUTH") != "0" {
		results = append(results, measureTradesift(t, "tradesift auth on", benchConfig(t, sink, true), sink, warm, msgs, ""))
	}

	if os.Getenv("TRADESIFT_BENCH_FSYNC") == "1" {
		// The other durability mode: an fsync per file, directory fsyncs
		// shared, instead of one syncfs per batch.
		c := relayConfig{Downstream: "smtp://" + sink.Addr, Sync: "fsync"}
		results = append(results, measureTradesift(t, "tradesift sync=fsync", c, sink, warm, msgs, ""))
	}

	if os.Getenv("TRADESIFT_BENCH_SHM") == "1" {
		// Diagnostic, not durable: the spool on /dev/shm, where fsync
		// costs nothing, shows how much of the time is spent in fsync.
		dir, err := os.MkdirTemp("/dev/shm", "tradesift-bench-")
		if err == nil {
			defer os.RemoveAll(dir)
			c := relayConfig{Downstream: "smtp://" + sink.Addr, QueueDir: dir}
			results = append(results, measureTradesift(t, "tradesift spool shm", c, sink, warm, msgs, ""))
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\n%d messages, avg %d bytes (../shared/corpus cycled, reply thread quoted in the first text part), %d sessions, into smtp-sink\n",
		n, size/n, benchSessions)
	fmt.Fprintf(&b, "%-20s %12s %12s %9s %9s %10s %11s %7s\n", "relay", "accept msg/s", "e2e msg/s", "p50 ms", "p99 ms", "peak RSS", "CPU ms/msg", "failed")
	for _, r := range results {
		rss, cpu := "-", "-"
		if r.PeakRSS > 0 {
			rss = fmt.Sprintf("%d MB", r.PeakRSS>>20)
		}
		if r.CPU > 0 {
			cpu = fmt.Sprintf("%.2f", r.cpuPerMsg())
		}
		fmt.Fprintf(&b, "%-20s %12.0f %12.0f %9.1f %9.1f %10s %11s %7d\n", r.Name, r.acceptRate(), r.e2eRate(),
			ms(r.P50), ms(r.P99), rss, cpu, r.Failed)
	}
	pfr := results[0]
	for _, r := range results[1:] {
		fmt.Fprintf(&b, "%s / postfix: accept %.2fx, end-to-end %.2fx, p99 %.2fx\n", r.Name,
			r.acceptRate()/pfr.acceptRate(), r.e2eRate()/pfr.e2eRate(), ms(r.P99)/ms(pfr.P99))
	}
	b.WriteString(bigMessageRSS(t, sink))
	t.Log(b.String())
	fmt.Print(b.String())
}

// measureTradesift lets the file system settle, starts tradesift with c,
// warms it up and measures one load run, with the relay's CPU time and
// peak RSS; with prof, it saves an 8 s CPU profile taken during the run
// to prof and the allocations to prof.allocs (c must serve pprof).
func measureTradesift(t *testing.T, name string, c relayConfig, sink *mtatest.Sink, warm, msgs [][]byte, prof string) benchResult {
	settle(t)
	ts := startRelay(t, c)
	defer ts.Stop()
	runLoad(t, name+" warm-up", ts.Addr, sink, warm, benchSessions)
	profDone := make(chan struct{})
	if prof != "" {
		go func() {
			defer close(profDone)
			saveProfile(t, "http://"+c.Metrics+"/debug/pprof/profile?seconds=8", prof)
		}()
	} else {
		close(profDone)
	}
	cpu0 := ts.CPUTime()
	r := runLoad(t, name, ts.Addr, sink, msgs, benchSessions)
	r.CPU = ts.CPUTime() - cpu0
	<-profDone
	if prof != "" {
		saveProfile(t, "http://"+c.Metrics+"/debug/pprof/allocs", prof+".allocs")
	}
	r.PeakRSS = ts.PeakRSS()
	return r
}

// saveProfile fetches a CPU profile from the relay's pprof endpoint into
// path (TRADESIFT_BENCH_PROFILE): `go tool pprof path` reads it.
func saveProfile(t *testing.T, url, path string) {
	resp, err := http.Get(url)
	if err != nil {
		t.Errorf("profile: %v", err)
		return
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %s", resp.Status, data)
	}
	if err == nil {
		err = os.WriteFile(path, data, 0o644)
	}
	if err != nil {
		t.Errorf("profile: %v", err)
	}
}

// settle waits before a measured run until the files deleted by the one
// before (a relay's queue files, the temporary directories of earlier
// tests) are more than 30 s old: ext4 without a journal, as on this
// project's machines, skips inodes freed in the last 30 s one by one when
// it creates a file, so a run right after another one pays for that
// run's deletions. TRADESIFT_BENCH_SETTLE=0 skips the wait.
func settle(t *testing.T) {
	if os.Getenv("TRADESIFT_BENCH_SETTLE") == "0" {
		return
	}
	t.Log("letting the file system settle for 31 s")
	time.Sleep(31 * time.Second)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// bigMessageRSS sends 25 MB messages (4 at once, then 4 more) through a
// fresh relay and reports its peak RSS before and after: streaming to
// disk keeps it near the idle figure, buffering whole messages shows as
// 100+ MB.
func bigMessageRSS(t *testing.T, sink *mtatest.Sink) string {
	ts := startBenchTradesift(t, sink, false)
	small := corpusMessages(t, "rss-warm", 20, benchMsgSize)
	runLoad(t, "rss warm-up", ts.Addr, sink, small, 4)
	idle := ts.PeakRSS()
	big := make([][]byte, 8)
	line := []byte(strings.Repeat("0123456789", 7) + "ABCDEF\r\n")
	for i := range big {
		m := corpusMessages(t, fmt.Sprintf("big%d", i), 1, 0)[0]
		body := make([]byte, 0, 25<<20+len(m))
		body = append(body, m...)
		for len(body) < 25<<20 {
			body = append(body, line...)
		}
		big[i] = body
	}
	r := runLoad(t, "25MB", ts.Addr, sink, big, 4)
	peak := ts.PeakRSS()
	return fmt.Sprintf("tradesift peak RSS: %d MB after 20 small messages, %d MB after 8 x 25 MB messages (4 sessions; p99 %.0f ms per 25 MB message)\n",
		idle>>20, peak>>20, ms(r.P99))
}

// BenchmarkRelay is the same load as a Go benchmark: b.N messages per
// relay. Use -benchtime=5000x for the figure:
//
//	go test ./filter/e2e -run '^$' -bench BenchmarkRelay -benchtime=5000x -timeout 30m
func BenchmarkRelay(b *testing.B) {
	sink := mtatest.StartSMTPSink(b, mtatest.SinkOptions{})
	report := func(b *testing.B, addr string) {
		msgs := corpusMessages(b, "benchmark", b.N, benchMsgSize)
		b.ResetTimer()
		r := runLoad(b, b.Name(), addr, sink, msgs, benchSessions)
		b.StopTimer()
		b.ReportMetric(r.acceptRate(), "accept-msgs/s")
		b.ReportMetric(r.e2eRate(), "e2e-msgs/s")
		b.ReportMetric(ms(r.P99), "p99-ms")
	}
	b.Run("postfix", func(b *testing.B) {
		pf := mtatest.StartPostfix(b, mtatest.PostfixOptions{Relayhost: "[127.0.0.1]:" + portOf(sink.Addr)})
		report(b, pf.Addr)
	})
	b.Run("tradesift", func(b *testing.B) {
		ts := startBenchTradesift(b, sink, false)
		report(b, ts.Addr)
	})
	b.Run("tradesift-auth", func(b *testing.B) {
		ts := startBenchTradesift(b, sink, true)
		report(b, ts.Addr)
	})
}
