package smtpd

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/tradesift/tradesift/filter/spool"
)

// A message with the fields we own forged, another host's
// Authentication-Results, odd folding and a body with dots and 8-bit text.
const forged = "Return-Path: <buyer@client.example.net>\r\n" +
	"Authentication-Results: mx.example.com; dkim=pass header.d=example.com\r\n" +
	"Authentication-Results: relay.other.example; spf=pass smtp.mailfrom=client.example.net\r\n" +
	"X-Grade: A\r\n" +
	"X-Buyer-Type: distributor\r\n" +
	"x-buyer-signals: forged,\r\n\tmore\r\n" +
	"X-Reply-Plan: quote\r\n" +
	"From: Buyer <buyer@client.example.net>\r\n" +
	"To: sales@example.com\r\n" +
	"Subject: =?utf-8?q?Anfrage_f=C3=BCr?=\r\n   500 units\r\n" +
	"Message-ID: <forged-1@client.example.net>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"X-Grade: A in the body is text, and stays.\r\n" +
	".leading dot\r\n" +
	"..two dots\r\n" +
	"Grüße  \t\r\n" +
	"\r\n"

// cleaned is forged less the fields that claim to be ours.
var cleaned = strings.NewReplacer(
	"Authentication-Results: mx.example.com; dkim=pass header.d=example.com\r\n", "",
	"X-Grade: A\r\nX-Buyer-Type: distributor\r\nx-buyer-signals: forged,\r\n\tmore\r\nX-Reply-Plan: quote\r\n", "",
).Replace(forged)

// The real client is Python's smtplib: the forged headers are gone, the
// rest is byte for byte what was sent, below our Received:.
func TestPythonForgedHeadersDropped(t *testing.T) {
	ts := start(t, testConfig(), nil)
	script := `
import smtplib, sys
host, port = sys.argv[1].rsplit(":", 1)
msg = sys.stdin.buffer.read() if False else open(sys.argv[2], "rb").read()
with smtplib.SMTP(host, int(port), timeout=20) as s:
    s.ehlo("client.example.net")
    for ext in ("size", "8bitmime", "smtputf8", "pipelining", "enhancedstatuscodes"):
        assert s.has_extn(ext), ext
    assert not s.has_extn("starttls")
    code, resp = s.mail("buyer@client.example.net")
    assert code == 250, (code, resp)
    code, resp = s.rcpt("sales@example.com")
    assert code == 250, (code, resp)
    code, resp = s.data(msg)
    print(code, resp.decode())
`
	f := filepath.Join(t.TempDir(), "msg.eml")
	os.WriteFile(f, []byte(forged), 0o600)
	out, err := python(t, script, ts.addr, f)
	if err != nil || !strings.HasPrefix(out, "250 2.0.0 OK: queued as ") {
		t.Fatalf("python: %v\n%s", err, out)
	}
	id, body := ts.only(t)
	if !strings.Contains(out, id) {
		t.Errorf("reply %q does not carry the queue id %s", out, id)
	}
	rcv, rest := belowReceived(t, body)
	if string(rest) != cleaned {
		t.Errorf("spooled message below Received:\n%q\nwant\n%q", rest, cleaned)
	}
	for _, want := range []string{"from client.example.net (unknown [127.0.0.1])", "by mx.example.com (tradesift) with ESMTP id ", "for <sales@example.com>; "} {
		if !strings.Contains(rcv, want) {
			t.Errorf("Received: %q lacks %q", rcv, want)
		}
	}
	if len(ts.kicks) != 1 || ts.kicks[0] != id {
		t.Errorf("OnStored got %v, want [%s]", ts.kicks, id)
	}
	e, err := ts.sp.(*spool.Spool).Load(id)
	if err != nil {
		t.Fatal(err)
	}
	if e.Envelope.From != "buyer@client.example.net" || len(e.Envelope.Rcpts) != 1 || e.Envelope.ClientIP != "127.0.0.1" || e.Envelope.Helo != "client.example.net" || e.Envelope.TLS {
		t.Errorf("envelope %+v", e.Envelope)
	}
}

// swaks sends a message file; the bytes arrive unchanged below Received:.
func TestSwaksAccepted(t *testing.T) {
	ts := start(t, testConfig(), nil)
	msg := "From: a@client.example.net\r\nTo: x@example.com\r\nSubject: swaks\r\nDKIM-Signature: v=1; a=rsa-sha256;\r\n\tb=abc;\r\n\r\nline 1\r\n\r\n.\r\nlast line\r\n"
	f := filepath.Join(t.TempDir(), "msg.eml")
	// swaks ends the data with CRLF . CRLF itself.
	os.WriteFile(f, []byte(strings.TrimSuffix(msg, "\r\n")), 0o600)
	out, err := swaks(t, "--server", ts.addr, "--helo", "client.example.net", "--from", "a@client.example.net",
		"--to", "x@EXAMPLE.com,y@sales.example.org", "--data", "@"+f, "--timeout", "20")
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	if !strings.Contains(out, "<-  250 2.0.0 OK: queued as ") {
		t.Errorf("swaks output lacks the queue id:\n%s", out)
	}
	_, body := ts.only(t)
	rcv, rest := belowReceived(t, body)
	if string(rest) != msg {
		t.Errorf("got\n%q\nwant\n%q", rest, msg)
	}
	if strings.Contains(rcv, " for <") {
		t.Errorf("Received: names a recipient of a multi-recipient message: %q", rcv)
	}
}

func TestSwaksRelayDenied(t *testing.T) {
	ts := start(t, testConfig(), nil)
	out, err := swaks(t, "--server", ts.addr, "--from", "a@client.example.net", "--to", "victim@gmail.com", "--timeout", "20")
	if err == nil || !strings.Contains(out, "550 5.7.1 <victim@gmail.com>: Relay access denied") {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	if len(ts.spooled(t)) != 0 {
		t.Error("relay attempt spooled")
	}
}

func TestRelayDenied(t *testing.T) {
	ts := start(t, testConfig(), nil)
	d := dial(t, ts.addr)
	d.hello()
	d.cmd("MAIL FROM:<a@client.example.net>", "250")
	for _, rcpt := range []string{
		"victim@gmail.com",
		"x@sub.example.com",
		"x@example.com.evil.net",
		"x@[127.0.0.1]",
		"victim%gmail.com@example.com",
		"gmail.com!victim@example.com",
		`"victim@gmail.com"@example.com`,
	} {
		d.cmd("RCPT TO:<"+rcpt+">", "550 5.7.1 ")
	}
	d.cmd("RCPT TO:<@relay.example:Sales@EXAMPLE.COM.>", "250")
	d.cmd("RCPT TO:<Sales@example.com>", "250")
	d.cmd("RCPT TO:<x@sales.example.org>", "250")
	d.cmd("DATA", "354")
	d.send("Subject: r\r\n\r\nr\r\n.\r\n")
	id := strings.TrimSpace(strings.TrimPrefix(d.expect("250 2.0.0 OK: queued as "), "250 2.0.0 OK: queued as "))
	e, err := ts.sp.(*spool.Spool).Load(id)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(e.Envelope.Rcpts, ",") != "Sales@example.com,x@sales.example.org" {
		t.Errorf("recipients %q, want the domains normalised and the duplicate merged", e.Envelope.Rcpts)
	}
	d.cmd("QUIT", "221")

	// go-smtp's client sees the same with a typed error.
	c, err := smtp.Dial(ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("a@client.example.net", nil); err != nil {
		t.Fatal(err)
	}
	err = c.Rcpt("someone@example.net", nil)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) {
		t.Fatalf("RCPT to a foreign domain: %v", err)
	}
}

func TestEHLOAdvertises(t *testing.T) {
	ts := start(t, testConfig(), nil)
	d := dial(t, ts.addr)
	ehlo := d.hello()
	for _, ext := range []string{"SIZE 262144", "8BITMIME", "SMTPUTF8", "PIPELINING", "ENHANCEDSTATUSCODES"} {
		if !strings.Contains(ehlo, "250-"+ext+"\r\n") && !strings.Contains(ehlo, "250 "+ext+"\r\n") {
			t.Errorf("EHLO lacks %s:\n%s", ext, ehlo)
		}
	}
	for _, ext := range []string{"STARTTLS", "BINARYMIME", "AUTH"} {
		if strings.Contains(ehlo, ext) {
			t.Errorf("EHLO advertises %s without reason:\n%s", ext, ehlo)
		}
	}
}

// Bare line ends in every shape used for SMTP smuggling are refused, the
// connection is closed, nothing is spooled, and the smuggled transaction
// never runs.
func TestBareLineEndsRefused(t *testing.T) {
	ts := start(t, testConfig(), nil)
	smuggled := "MAIL FROM:<ceo@example.com>\r\nRCPT TO:<sales@example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.\r\n"
	for name, data := range map[string]string{
		"bare LF":     "Subject: x\r\n\r\nline one\nline two\r\n.\r\n",
		"LF.LF":       "Subject: x\r\n\r\nbody\n.\n" + smuggled,
		"CR.LF":       "Subject: x\r\n\r\nbody\r.\n" + smuggled,
		"LF.CRLF":     "Subject: x\r\n\r\nbody\n.\r\n" + smuggled,
		"CRLF.LF":     "Subject: x\r\n\r\nbody\r\n.\n" + smuggled,
		"CR.CR":       "Subject: x\r\n\r\nbody\r.\r" + smuggled,
		"bare CR":     "Subject: x\r\n\r\nbody\rmore\r\n.\r\n",
		"header LF":   "Subject: x\nX-Grade: A\r\n\r\nbody\r\n.\r\n",
		"LF at start": "\n.\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			d := dial(t, ts.addr)
			d.hello()
			d.startData("sales@example.com")
			d.send(data)
			got := d.expect("554 5.6.0 Message refused: bare ")
			if !strings.Contains(got, "CRLF") {
				t.Errorf("reply does not say what is wrong: %q", got)
			}
			if rest := d.reply(); !strings.Contains(rest, "<") {
				// Anything but the closed connection: the smuggled
				// commands must not be answered.
				t.Errorf("after the refusal the server said %q", rest)
			}
			ts.noSpoolFiles(t)
		})
	}
	stillServing(t, ts)
}

// go-smtp's DATA reader drops ".\r" at the start of a line when no LF
// follows, so that shape cannot be refused; what reaches the spool must
// still have CRLF line ends only, so no downstream can be confused by it.
func TestDotCRShapeNormalized(t *testing.T) {
	ts := start(t, testConfig(), nil)
	d := dial(t, ts.addr)
	d.hello()
	d.startData("sales@example.com")
	d.send("Subject: x\r\n\r\nbody\r\n.\rMAIL FROM:<ceo@example.com>\r\n.\r\n")
	d.expect("250 ")
	_, body := ts.only(t)
	for i, c := range body {
		if (c == '\r' && (i+1 == len(body) || body[i+1] != '\n')) || (c == '\n' && (i == 0 || body[i-1] != '\r')) {
			t.Fatalf("bare line end at %d in the spooled message: %q", i, body)
		}
	}
}

// Python's smtplib passes bytes through: a real client sending bare LF.
func TestPythonBareLF(t *testing.T) {
	ts := start(t, testConfig(), nil)
	out, err := python(t, `
import smtplib, sys
host, port = sys.argv[1].rsplit(":", 1)
s = smtplib.SMTP(host, int(port), timeout=20)
try:
    s.sendmail("a@client.example.net", ["sales@example.com"], b"Subject: x\n\nbody\n")
    print("accepted")
except smtplib.SMTPDataError as e:
    print(e.smtp_code, e.smtp_error.decode())
`, ts.addr)
	if err != nil || !strings.HasPrefix(out, "554 5.6.0 Message refused: bare LF") {
		t.Fatalf("python: %v\n%s", err, out)
	}
	ts.noSpoolFiles(t)
	stillServing(t, ts)
}

func TestBadInput(t *testing.T) {
	cfg := testConfig()
	cfg.MaxMessageSize = 4 << 20
	cfg.MaxHeaderSize = 512 << 10
	ts := start(t, cfg, nil)
	send := func(t *testing.T, data string) *dialog {
		d := dial(t, ts.addr)
		d.hello()
		d.startData("sales@example.com")
		go d.conn.Write([]byte(data)) // the server may answer before reading it all
		return d
	}
	t.Run("1MB header line", func(t *testing.T) {
		d := send(t, "Subject: "+strings.Repeat("x", 1<<20)+"\r\n\r\nbody\r\n.\r\n")
		d.expect("554 5.6.0 Message refused: a line is longer than 8192 octets")
		ts.noSpoolFiles(t)
	})
	t.Run("10000 header fields", func(t *testing.T) {
		d := send(t, strings.Repeat("X-Field: value\r\n", 10000)+"\r\nbody\r\n.\r\n")
		d.expect("552 5.3.4 Message has more than 1000 header fields")
		d.cmd("QUIT", "221")
		ts.noSpoolFiles(t)
	})
	t.Run("header section too big", func(t *testing.T) {
		d := send(t, strings.Repeat("X-Field: "+strings.Repeat("v", 2000)+"\r\n", 300)+"\r\nbody\r\n.\r\n")
		d.expect("552 5.3.4 Message header section exceeds 524288 octets")
		d.cmd("QUIT", "221")
		ts.noSpoolFiles(t)
	})
	t.Run("oversized message", func(t *testing.T) {
		d := send(t, "Subject: big\r\n\r\n"+strings.Repeat(strings.Repeat("b", 998)+"\r\n", 5<<10)+".\r\n")
		d.expect("552 5.3.4 Message exceeds the size limit of 4194304 octets")
		d.cmd("QUIT", "221")
		ts.noSpoolFiles(t)
	})
	t.Run("mail loop", func(t *testing.T) {
		d := send(t, strings.Repeat("Received: from a by b; Fri, 27 Nov 2026 03:24:29 +0000\r\n", 51)+"\r\nbody\r\n.\r\n")
		d.expect("554 5.4.6 Too many hops")
		d.cmd("QUIT", "221")
		ts.noSpoolFiles(t)
	})
	t.Run("declared SIZE too big", func(t *testing.T) {
		d := dial(t, ts.addr)
		d.hello()
		d.cmd("MAIL FROM:<a@client.example.net> SIZE=5000000", "552 5.3.4")
	})
	t.Run("invalid UTF-8 in the envelope", func(t *testing.T) {
		d := dial(t, ts.addr)
		d.hello()
		d.cmd("MAIL FROM:<\xff\xfe@client.example.net> SMTPUTF8", "553 5.1.7 Bad sender address: not valid UTF-8")
		d.cmd("MAIL FROM:<b\x01c@client.example.net>", "553 5.1.7 Bad sender address: control character")
		d.cmd("MAIL FROM:<bücher@client.example.net>", "553 5.6.7 Non-ASCII sender address needs the SMTPUTF8")
		d.cmd("MAIL FROM:<bücher@client.example.net> SMTPUTF8", "250")
		d.cmd("RCPT TO:<sa\xc0les@example.com>", "553 5.1.3 Bad recipient address: not valid UTF-8")
		d.cmd("RCPT TO:<sa\x7fles@example.com>", "553 5.1.3 Bad recipient address: control character")
		d.cmd("RCPT TO:<verkäufer@example.com>", "250")
		d.cmd("DATA", "354")
		d.send("Subject: utf8\r\n\r\nbody\r\n.\r\n")
		d.expect("250 2.0.0 OK: queued as ")
		d.cmd("QUIT", "221")
	})
	t.Run("too many recipients", func(t *testing.T) {
		d := dial(t, ts.addr)
		d.hello()
		d.cmd("MAIL FROM:<a@client.example.net>", "250")
		for i := 0; i < 5; i++ {
			d.cmd(fmt.Sprintf("RCPT TO:<r%d@example.com>", i), "250")
		}
		d.cmd("RCPT TO:<r6@example.com>", "452 4.5.3")
	})
	stillServing(t, ts)
}

// failSpool fails after reading some of the message, like a full disk.
type failSpool struct{ after int64 }

func (f failSpool) Store(env spool.Envelope, r io.Reader) (string, error) {
	io.CopyN(io.Discard, r, f.after)
	return "", &spool.Error{Op: "store body", Kind: "disk full", Err: errors.New("no space left on device")}
}

func TestSpoolFailureIs451(t *testing.T) {
	for _, after := range []int64{0, 100, 1 << 20} {
		t.Run(fmt.Sprint(after), func(t *testing.T) {
			ts := start(t, testConfig(), failSpool{after: after})
			c, err := smtp.Dial(ts.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Mail("a@client.example.net", nil)
			c.Rcpt("sales@example.com", nil)
			w, err := c.Data()
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, "Subject: x\r\n\r\n"+strings.Repeat("body\r\n", 10000))
			err = w.Close()
			var se *smtp.SMTPError
			if !errors.As(err, &se) || se.Code != 451 || se.EnhancedCode != (smtp.EnhancedCode{4, 3, 0}) {
				t.Fatalf("got %v, want 451 4.3.0", err)
			}
			if len(ts.kicks) != 0 {
				t.Error("OnStored called for a failed store")
			}
		})
	}
}

// The real spool, its directory gone: 4xx, never 250 or 5xx, with swaks.
func TestSwaksUnwritableSpool(t *testing.T) {
	ts := start(t, testConfig(), nil)
	os.RemoveAll(ts.dir)
	out, err := swaks(t, "--server", ts.addr, "--from", "a@client.example.net", "--to", "sales@example.com", "--timeout", "20")
	if err == nil || !strings.Contains(out, "<** 451 4.3.0 ") {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
}

func TestConnectionLimits(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConnections = 3
	cfg.MaxConnectionsPerIP = 2
	ts := start(t, cfg, nil)
	a, b := dial(t, ts.addr), dial(t, ts.addr)
	a.expect("220 ")
	b.expect("220 ")
	c := dial(t, ts.addr)
	c.expect("421 4.7.0 mx.example.com Error: too many connections from 127.0.0.1")
	if !c.closed() {
		t.Error("refused connection left open")
	}
	// Total limit: raise the per-IP limit by reload; the open sessions
	// survive the reload.
	cfg.MaxConnectionsPerIP = 3
	if err := ts.srv.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	d := dial(t, ts.addr)
	d.expect("220 ")
	e := dial(t, ts.addr)
	e.expect("421 4.7.0 mx.example.com Error: too many connections")
	a.cmd("EHLO a.example", "250")
	a.cmd("QUIT", "221")
	a.closed()
	// A slot is free again once a session ended.
	deadline := time.Now().Add(5 * time.Second)
	for ts.srv.lim.open() > 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	f := dial(t, ts.addr)
	f.expect("220 ")
}

func TestSTARTTLS(t *testing.T) {
	cert, key := selfSigned(t)
	cfg := testConfig()
	cfg.TLSCert, cfg.TLSKey = cert, key
	ts := start(t, cfg, nil)

	c, err := smtp.Dial(ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example.net"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("STARTTLS not advertised with a certificate configured")
	}
	c.Quit()
	c, err = smtp.DialStartTLS(ts.addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example.net"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS advertised again inside TLS")
	}
	if err := c.SendMail("a@client.example.net", []string{"sales@example.com"}, strings.NewReader("Subject: tls\r\n\r\nsecret\r\n")); err != nil {
		t.Fatal(err)
	}
	id, body := ts.only(t)
	rcv, rest := belowReceived(t, body)
	if !strings.Contains(rcv, "with ESMTPS id ") || !strings.Contains(rcv, "(using TLSv1.3 with cipher ") || string(rest) != "Subject: tls\r\n\r\nsecret\r\n" {
		t.Errorf("Received: %q, rest %q", rcv, rest)
	}
	e, _ := ts.sp.(*spool.Spool).Load(id)
	if e == nil || !e.Envelope.TLS {
		t.Error("envelope does not record TLS")
	}

	// And with swaks, a real client's TLS stack.
	out, err := swaks(t, "--server", ts.addr, "--tls", "--from", "a@client.example.net", "--to", "sales@example.com", "--timeout", "20")
	if err != nil || !strings.Contains(out, "250 2.0.0 OK: queued as") {
		t.Fatalf("swaks --tls: %v\n%s", err, out)
	}
}

func TestRequireTLS(t *testing.T) {
	cert, key := selfSigned(t)
	cfg := testConfig()
	cfg.TLSCert, cfg.TLSKey, cfg.RequireTLS = cert, key, true
	ts := start(t, cfg, nil)
	d := dial(t, ts.addr)
	d.hello()
	d.cmd("MAIL FROM:<a@client.example.net>", "530 5.7.0 Must issue a STARTTLS command first")
	d.cmd("RCPT TO:<sales@example.com>", "502")

	c, err := smtp.DialStartTLS(ts.addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail("a@client.example.net", []string{"sales@example.com"}, strings.NewReader("Subject: tls\r\n\r\nok\r\n")); err != nil {
		t.Fatalf("after STARTTLS: %v", err)
	}
	noCert := testConfig()
	noCert.RequireTLS = true
	if _, err := New(noCert, ts.sp, Options{}); err == nil {
		t.Error("require_tls without a certificate accepted")
	}
}

// The same bad input from a real client, Python's smtplib: clear replies,
// no panic, nothing spooled, and the server keeps serving.
func TestPythonBadInput(t *testing.T) {
	cfg := testConfig()
	cfg.MaxMessageSize = 4 << 20
	cfg.MaxHeaderSize = 512 << 10
	ts := start(t, cfg, nil)
	out, err := python(t, `
import smtplib, sys
host, port = sys.argv[1].rsplit(":", 1)
def send(msg):
    s = smtplib.SMTP(host, int(port), timeout=20)
    try:
        s.sendmail("a@client.example.net", ["sales@example.com"], msg)
        return "accepted"
    except smtplib.SMTPDataError as e:
        return "%d %s" % (e.smtp_code, e.smtp_error.decode())
    except smtplib.SMTPSenderRefused as e:
        return "%d %s" % (e.smtp_code, e.smtp_error.decode())
    except smtplib.SMTPServerDisconnected as e:
        return "disconnected"
    finally:
        try: s.close()
        except Exception: pass
print("fields:", send(b"X-F: v\r\n" * 10000 + b"\r\nbody\r\n"))
print("line:", send(b"Subject: " + b"x" * (1 << 20) + b"\r\n\r\nbody\r\n"))
print("size:", send(b"Subject: big\r\n\r\n" + (b"b" * 998 + b"\r\n") * 5000))
s = smtplib.SMTP(host, int(port), timeout=20)
s.ehlo("client.example.net")
s.command_encoding = "latin-1"
print("utf8:", *s.docmd("MAIL FROM:<\xff\xfe@client.example.net>"))
print("ctl:", *s.docmd("MAIL FROM:<a\x01b@client.example.net>"))
s.quit()
`, ts.addr)
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	for _, want := range []string{
		"fields: 552 5.3.4 Message has more than 1000 header fields",
		"line: 554 5.6.0 Message refused: a line is longer than 8192 octets",
		"size: 552 5.3.4 ", // at MAIL FROM: smtplib declares SIZE=
		"utf8: 553 b'5.1.7 Bad sender address: not valid UTF-8'",
		"ctl: 553 b'5.1.7 Bad sender address: control character'",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("python output lacks %q:\n%s", want, out)
		}
	}
	ts.noSpoolFiles(t)
	stillServing(t, ts)
}
