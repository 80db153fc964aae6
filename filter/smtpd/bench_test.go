package smtpd

import (
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/tradesift/tradesift/filter/spool"
)

type discardSpool struct{}

func (discardSpool) Store(env spool.Envelope, r io.Reader) (string, error) {
	_, err := io.Copy(io.Discard, r)
	return "X", err
}

// BenchmarkSession pushes 10 KB messages through one session on loopback
// into a spool that discards: the listener's own cost per message.
func BenchmarkSession(b *testing.B) {
	cfg := testConfig()
	ts := startB(b, cfg, discardSpool{})
	c, err := smtp.Dial(ts)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	msg := "From: a@client.example.net\r\nSubject: bench\r\n\r\n" + strings.Repeat("We would like a quotation for 500 units, delivered to Rotterdam, please.\r\n", 140)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.SendMail("a@client.example.net", []string{"sales@example.com"}, strings.NewReader(msg)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionsParallel: concurrent sessions, one message each time
// through a reused connection, into a discarding spool.
func BenchmarkSessionsParallel(b *testing.B) {
	benchParallel(b, discardSpool{})
}

// BenchmarkSessionsParallelSpool is the same into the real spool (fsync
// per message, group-committed directory syncs) in a temporary directory.
func BenchmarkSessionsParallelSpool(b *testing.B) {
	sp, err := spool.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer sp.Close()
	benchParallel(b, sp)
}

func benchParallel(b *testing.B, sp Spooler) {
	cfg := testConfig()
	cfg.MaxConnections, cfg.MaxConnectionsPerIP = 1000, 1000
	addr := startB(b, cfg, sp)
	msg := "From: a@client.example.net\r\nSubject: bench\r\n\r\n" + strings.Repeat("We would like a quotation for 500 units, delivered to Rotterdam, please.\r\n", 140)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.SetParallelism(10)
	b.RunParallel(func(pb *testing.PB) {
		c, err := smtp.Dial(addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		for pb.Next() {
			if err := c.SendMail("a@client.example.net", []string{"sales@example.com"}, strings.NewReader(msg)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
