package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// dialog is a raw SMTP conversation, for input a well-behaved client
// library will not send.
type dialog struct {
	t  *testing.T
	c  net.Conn
	rd *bufio.Reader
}

func dial(t *testing.T, addr string) *dialog {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(60 * time.Second))
	d := &dialog{t: t, c: c, rd: bufio.NewReaderSize(c, 64<<10)}
	t.Cleanup(func() { c.Close() })
	d.expect("220")
	return d
}

// reply reads one (possibly multi-line) reply; "" on a closed connection.
func (d *dialog) reply() string {
	var all []string
	for {
		line, err := d.rd.ReadString('\n')
		if err != nil {
			return strings.Join(all, "\n")
		}
		line = strings.TrimRight(line, "\r\n")
		all = append(all, line)
		if len(line) < 4 || line[3] != '-' {
			return strings.Join(all, "\n")
		}
	}
}

func (d *dialog) send(s string) string {
	if _, err := d.c.Write([]byte(s)); err != nil {
		return "write: " + err.Error()
	}
	return d.reply()
}

func (d *dialog) expect(code string) string {
	d.t.Helper()
	r := d.reply()
	if !strings.HasPrefix(r, code) {
		d.t.Fatalf("want %s, got %q", code, r)
	}
	return r
}

// envelope runs EHLO, MAIL, RCPT and DATA up to the 354.
func (d *dialog) envelope() {
	d.t.Helper()
	for _, c := range []struct{ cmd, code string }{
		{"EHLO client.example\r\n", "250"},
		{"MAIL FROM:<buyer@example.org>\r\n", "250"},
		{"RCPT TO:<sales@" + Domain + ">\r\n", "250"},
		{"DATA\r\n", "354"},
	} {
		if r := d.send(c.cmd); !strings.HasPrefix(r, c.code) {
			d.t.Fatalf("%q: %q", c.cmd, r)
		}
	}
}

// TestRelayPolicy runs, against the daemon, what a mail admin checks
// first: no open relay, forged grades dropped, bad input answered with a
// clear SMTP error and no crash.
func TestRelayPolicy(t *testing.T) {
	mail := filepath.Join(t.TempDir(), "mail")
	ts := startRelay(t, relayConfig{Downstream: "maildir:" + mail, MaxMessageSize: "2MB"})

	t.Run("foreign RCPT refused (swaks)", func(t *testing.T) {
		out, err := mtatest.Swaks(t, "--server", ts.Addr, "--from", "buyer@example.org", "--to", "someone@example.net",
			"--quit-after", "RCPT")
		if err == nil || !strings.Contains(out, "550 5.7.1") {
			t.Errorf("RCPT to a foreign domain: want 550 5.7.1\n%s", out)
		}
	})

	t.Run("forged X-Grade dropped", func(t *testing.T) {
		msg := []byte("X-Grade: A\r\nX-Buyer-Type: sourcing\r\nAuthentication-Results: mx.everride-scooter.com; dkim=pass header.d=scootworld.de\r\n" +
			"From: Buyer <buyer@example.org>\r\nTo: sales@" + Domain + "\r\nSubject: hello\r\nMessage-ID: <forged@e2e.test>\r\n\r\nHi.\r\n")
		if err := mtatest.SendSMTP(ts.Addr, "buyer@example.org", []string{"sales@" + Domain}, msg); err != nil {
			t.Fatal(err)
		}
		var got []byte
		for _, m := range waitMaildir(t, mail, 1, 20*time.Second) {
			if bytes.Contains(m.Data, []byte("<forged@e2e.test>")) {
				got = m.Data
			}
		}
		if got == nil {
			t.Fatal("not delivered")
		}
		hdr := string(got[:bytes.Index(got, []byte("\r\n\r\n"))])
		if strings.Contains(hdr, "X-Grade: A\r\n") || strings.Contains(hdr, "X-Buyer-Type: sourcing") ||
			strings.Contains(hdr, "dkim=pass header.d=scootworld.de") {
			t.Errorf("forged fields survived:\n%s", hdr)
		}
	})

	bad := []struct {
		name string
		data string // after the 354; ends the message itself
		want string // reply code prefix
	}{
		{"bare LF", "Subject: x\n\nbody\n.\n\r\n.\r\n", "5"},
		{"bare LF dot (smuggling)", "Subject: x\r\n\r\nbody\n.\r\nMAIL FROM:<evil@example.org>\r\n.\r\n", "5"},
		{"1 MB header line", "Subject: " + strings.Repeat("x", 1<<20) + "\r\n\r\nbody\r\n.\r\n", "5"},
		{"10,000 header fields", strings.Repeat("X-Filler: yes\r\n", 10000) + "\r\nbody\r\n.\r\n", "5"},
		{"oversized message", "Subject: big\r\n\r\n" + strings.Repeat(strings.Repeat("y", 98)+"\r\n", 3<<20/100) + ".\r\n", "552"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			d := dial(t, ts.Addr)
			d.envelope()
			r := d.send(b.data)
			if !strings.HasPrefix(r, b.want) {
				t.Errorf("want %s..., got %q", b.want, r)
			}
			t.Logf("%s: %s", b.name, r)
		})
	}

	t.Run("invalid UTF-8 in the envelope", func(t *testing.T) {
		d := dial(t, ts.Addr)
		d.send("EHLO client.example\r\n")
		r := d.send("MAIL FROM:<b\xffuyer@example.org> SMTPUTF8\r\n")
		if strings.HasPrefix(r, "250") {
			r = d.send("RCPT TO:<s\xfe\xffales@" + Domain + ">\r\n")
		}
		if !strings.HasPrefix(r, "5") {
			t.Errorf("invalid UTF-8 address: want 5xx, got %q", r)
		}
		t.Logf("invalid UTF-8: %s", r)
	})

	if ts.Exited() {
		t.Fatal("relay exited")
	}
	if strings.Contains(ts.Log(), "panic") {
		t.Errorf("panic in the log")
	}
	// Still serving.
	if err := mtatest.SendSMTP(ts.Addr, "buyer@example.org", []string{"sales@" + Domain},
		[]byte(fmt.Sprintf("Subject: after\r\nMessage-ID: <after@e2e.test>\r\n\r\nok\r\n"))); err != nil {
		t.Errorf("after bad input: %v", err)
	}
}
