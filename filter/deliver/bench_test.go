package deliver

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/safeio"
	"github.com/tradesift/tradesift/filter/spool"
)

// BenchmarkRelay measures the spool and delivery path end to end: 20
// goroutines (like SMTP sessions) Store 10 KB messages and Kick the queue,
// which prepares a header block, records the attempt, delivers over SMTP to
// a go-smtp server on loopback and removes the entry. Every message is
// fsynced at each step. Reports msgs/s until the spool is empty.
func BenchmarkRelay(b *testing.B) {
	b.Run("fsync", func(b *testing.B) { benchmarkRelay(b, false) })
	b.Run("syncfs", func(b *testing.B) { benchmarkRelay(b, true) })
}

// countingFS counts commits (syncfs or directory fsyncs) and file fsyncs.
type countingFS struct {
	safeio.FS
	commits, fsyncs atomic.Int64
}

func (c *countingFS) SyncDir(dir string) error { c.commits.Add(1); return c.FS.SyncDir(dir) }
func (c *countingFS) SyncFS(dir string) error  { c.commits.Add(1); return c.FS.SyncFS(dir) }
func (c *countingFS) SyncFile(path string) error {
	c.fsyncs.Add(1)
	return c.FS.SyncFile(path)
}
func (c *countingFS) CreateTemp(dir, pattern string) (safeio.File, error) {
	f, err := c.FS.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return countingFile{f, c}, nil
}

type countingFile struct {
	safeio.File
	c *countingFS
}

func (f countingFile) Sync() error { f.c.fsyncs.Add(1); return f.File.Sync() }

func benchmarkRelay(b *testing.B, syncfs bool) {
	fsys := &countingFS{FS: safeio.OS{}}
	srv := startServer(b, "tcp", "127.0.0.1:0", false, &testServer{})
	sp, err := spool.OpenWith(b.TempDir(), spool.Options{FS: fsys, SyncFS: syncfs})
	if err != nil {
		b.Fatal(err)
	}
	defer sp.Close()
	c := &SMTP{Network: "tcp", Addr: srv.addr, Timeout: 10 * time.Second, MaxIdle: 32}
	q := New(sp, c, Options{Workers: 20, MinBackoff: time.Second, Logger: slog.New(slog.DiscardHandler),
		Prepare: func(context.Context, string, spool.Envelope, func() (io.ReadCloser, error)) []byte {
			return []byte("X-Buyer-Grade: B\r\n")
		}})
	q.Start(context.Background())
	defer q.Stop(context.Background())
	body := append([]byte("Subject: bench\r\n\r\n"), bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n"), 160)...)
	env := spool.Envelope{From: "a@example.org", Rcpts: []string{"x@company.test"}}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan struct{})
	for range 20 {
		wg.Go(func() {
			for range work {
				id, err := sp.Store(env, bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				q.Kick(id)
			}
		})
	}
	for range b.N {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	stored := time.Since(start)
	for len(srv.messages()) < b.N && time.Since(start) < 5*time.Minute {
		time.Sleep(time.Millisecond)
	}
	el := time.Since(start)
	b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
	b.ReportMetric(float64(b.N)/stored.Seconds(), "stored/s")
	b.ReportMetric(float64(fsys.commits.Load())/float64(b.N), "commits/msg")
	b.ReportMetric(float64(fsys.fsyncs.Load())/float64(b.N), "fsyncs/msg")
	if n := len(srv.messages()); n != b.N {
		b.Errorf("%d delivered of %d", n, b.N)
	}
	b.StopTimer()
	for range 1000 {
		if ids, _ := sp.List(); len(ids) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Error("spool not empty")
}

// BenchmarkMaildir files 10 KB drafts into a Maildir folder, 20 at once
// (as the delivery workers do), and reports the CPU time per message.
func BenchmarkMaildir(b *testing.B) {
	b.Run("fsync", func(b *testing.B) { benchmarkMaildir(b, false) })
	b.Run("syncfs", func(b *testing.B) { benchmarkMaildir(b, true) })
}

func benchmarkMaildir(b *testing.B, syncfs bool) {
	m := &Maildir{Root: b.TempDir(), Hostname: "mx.example", Folder: ".Drafts", Flags: "D"}
	if syncfs {
		m.SyncFS = &safeio.Group{Fn: func() error { return safeio.SyncFS(m.Root) }}
	}
	msg := bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n"), 160)
	b.SetParallelism(10)
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if errs := m.Deliver(context.Background(), "", []string{"rep@example.com"}, bytes.NewReader(msg)); errs[0] != nil {
				b.Error(errs[0])
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/msg")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
