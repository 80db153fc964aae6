package smtpd

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/spool"
)

// BDAT (CHUNKING, which go-smtp always offers) goes through the same
// checks as DATA.
func TestBDAT(t *testing.T) {
	ts := start(t, testConfig(), nil)
	d := dial(t, ts.addr)
	d.hello()
	d.cmd("MAIL FROM:<a@client.example.net>", "250")
	d.cmd("RCPT TO:<sales@example.com>", "250")
	d.cmd("RCPT TO:<sales@example.com>", "250")
	part1, part2 := "X-Grade: A\r\nSubject: chunks\r\n", "\r\nbody\r\n"
	d.send("BDAT " + itoa(len(part1)) + "\r\n" + part1)
	d.expect("250 ")
	d.send("BDAT " + itoa(len(part2)) + " LAST\r\n" + part2)
	d.expect("250 2.0.0 OK: queued as ")
	id, body := ts.only(t)
	if _, rest := belowReceived(t, body); string(rest) != "Subject: chunks\r\n\r\nbody\r\n" {
		t.Errorf("got %q", rest)
	}
	if e, err := ts.sp.(*spool.Spool).Load(id); err != nil || len(e.Envelope.Rcpts) != 1 {
		t.Errorf("duplicate RCPT not merged: %v %v", e, err)
	}

	d.cmd("MAIL FROM:<a@client.example.net>", "250")
	d.cmd("RCPT TO:<sales@example.com>", "250")
	bad := "Subject: x\n\nbody\n"
	d.send("BDAT " + itoa(len(bad)) + " LAST\r\n" + bad)
	d.expect("554 5.6.0 Message refused: bare LF")
	if len(ts.spooled(t)) != 1 {
		t.Error("bare LF in BDAT spooled")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// counter reads one series of the test registry.
func counter(t *testing.T, ts *testServer, name, label string) float64 {
	t.Helper()
	mfs, err := ts.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label == "" || (len(m.GetLabel()) > 0 && m.GetLabel()[0].GetValue() == label) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// A reload changes the local domains for new sessions; a session opened
// before keeps its own.
func TestSetConfigReload(t *testing.T) {
	ts := start(t, testConfig(), nil)
	old := dial(t, ts.addr)
	old.hello()

	cfg := testConfig()
	cfg.Domains = []string{"new.example"}
	if err := ts.srv.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	bad := testConfig()
	bad.TLSCert, bad.TLSKey = "/nonexistent/cert.pem", "/nonexistent/key.pem"
	if err := ts.srv.SetConfig(bad); err == nil {
		t.Error("a reload with a missing certificate succeeded")
	}

	fresh := dial(t, ts.addr)
	fresh.hello()
	fresh.cmd("MAIL FROM:<a@client.example.net>", "250")
	fresh.cmd("RCPT TO:<x@example.com>", "550 5.7.1")
	fresh.cmd("RCPT TO:<x@new.example>", "250")

	old.startData("x@example.com")
	old.send("Subject: old session\r\n\r\nstill delivered\r\n.\r\n")
	old.expect("250 2.0.0 OK: queued as ")
	old.cmd("QUIT", "221")
}

func TestMetrics(t *testing.T) {
	ts := start(t, testConfig(), nil)
	d := dial(t, ts.addr)
	d.hello()
	d.cmd("MAIL FROM:<a@client.example.net>", "250")
	d.cmd("RCPT TO:<x@foreign.example>", "550")
	d.cmd("RCPT TO:<x@example.com>", "250")
	d.cmd("DATA", "354")
	d.send("Subject: m\r\n\r\nm\r\n.\r\n")
	d.expect("250 ")
	d.cmd("QUIT", "221")
	for _, c := range []struct {
		name, label string
		want        float64
	}{
		{"tradesift_smtp_messages_accepted_total", "", 1},
		{"tradesift_smtp_rejected_total", "relay_denied", 1},
		{"tradesift_smtp_connections_total", "accepted", 1},
	} {
		if got := counter(t, ts, c.name, c.label); got != c.want {
			t.Errorf("%s{%s} = %v, want %v", c.name, c.label, got, c.want)
		}
	}
}

func TestIdleTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.ReadTimeout = config.Duration(time.Second)
	ts := start(t, cfg, nil)
	d := dial(t, ts.addr)
	d.hello()
	d.startData("x@example.com")
	d.send("Subject: slow\r\n\r\n")
	d.expect("451 4.4.2 ")
	ts.noSpoolFiles(t)
}

// Shutdown waits for a session in progress, then closes it at the deadline;
// no half-received message is spooled.
func TestShutdown(t *testing.T) {
	cfg := testConfig()
	ts := start(t, cfg, nil)
	d := dial(t, ts.addr)
	d.hello()
	d.startData("x@example.com")
	d.send("Subject: cut\r\n\r\nhalf")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Errorf("Shutdown: %v", err)
	}
	if !d.closed() {
		t.Error("session still open after Shutdown's deadline")
	}
	ts.noSpoolFiles(t)
	if _, err := smtp.Dial(ts.addr); err == nil {
		t.Error("still accepting after Shutdown")
	}
}

// Shutdown waits for sessions of every configuration, also one from
// before a reload, and returns as soon as the last one quits.
func TestShutdownGracefulAfterReload(t *testing.T) {
	ts := start(t, testConfig(), nil)
	d := dial(t, ts.addr)
	d.hello()
	if err := ts.srv.SetConfig(testConfig()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- ts.srv.Shutdown(ctx)
	}()
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned with a session open: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	d.startData("x@example.com")
	d.send("Subject: during shutdown\r\n\r\nx\r\n.\r\n")
	d.expect("250 2.0.0 OK: queued as ")
	d.cmd("QUIT", "221")
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return after the last session quit")
	}
	ts.only(t)
}
