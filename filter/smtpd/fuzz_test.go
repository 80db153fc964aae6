package smtpd

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/config"
)

// FuzzSession plays arbitrary client input against a live listener on
// loopback: no panic, and the spool holds exactly the messages that were
// answered "250 ... queued as", each starting with our Received: and free
// of bare line ends (so nothing smuggled reaches a downstream).
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<s@example.com>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n",
		"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<s@example.com>\r\nDATA\r\nX-Grade: A\r\n\r\nb\n.\nMAIL FROM:<x@y>\r\nRCPT TO:<s@example.com>\r\nDATA\r\nsmuggled\r\n.\r\n",
		"HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<s@EXAMPLE.com>\r\nBDAT 12 LAST\r\nSubject: y\r\n",
		"EHLO c\r\nMAIL FROM:<a@b.example> SMTPUTF8\r\nRCPT TO:<ü@example.com>\r\nRSET\r\nNOOP\r\nDATA\r\n",
		"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@other.example>\r\nRCPT TO:<a%b@example.com>\r\n",
		"EHLO c\r\nSTARTTLS\r\nMAIL FROM:<\xff@b>\r\n",
	} {
		f.Add([]byte(s))
	}
	cfg := testConfig()
	cfg.ReadTimeout = config.Duration(2 * time.Second)
	cfg.MaxConnectionsPerIP = cfg.MaxConnections
	ms := &memSpool{msgs: map[string][]byte{}}
	srv, err := New(cfg, ms, Options{})
	if err != nil {
		f.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	go srv.Serve(ln)
	f.Cleanup(func() { srv.Close() })

	f.Fuzz(func(t *testing.T, in []byte) {
		ms.mu.Lock()
		before := ms.n
		ms.mu.Unlock()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		go func() {
			c.Write(in)
			c.Write([]byte("\r\n.\r\nQUIT\r\n"))
			c.(*net.TCPConn).CloseWrite()
		}()
		replies, _ := io.ReadAll(c)
		queued := strings.Count(string(replies), " OK: queued as ")
		ms.mu.Lock()
		defer ms.mu.Unlock()
		if got := ms.n - before; got != queued {
			t.Fatalf("%d stored, %d answered queued\nreplies: %q", got, queued, replies)
		}
		for k, b := range ms.msgs {
			if !bytes.HasPrefix(b, []byte("Received: from ")) || bareEnd(b) >= 0 {
				t.Fatalf("stored message %q", b)
			}
			delete(ms.msgs, k)
		}
	})
}
