package deliver

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/internal/mtatest"
	"github.com/tradesift/tradesift/filter/spool"
)

// testServer is a real SMTP/LMTP server (go-smtp) on loopback whose
// replies a test chooses.
type testServer struct {
	addr string
	srv  *smtp.Server

	sessions atomic.Int32

	mu    sync.Mutex
	msgs  []gotMsg
	datas int
	// Replies; nil accepts.
	rcpt func(to string) error
	data func(n int) error
	lmtp func(rcpt string) error
	// tls, if set before startServer, offers STARTTLS with it.
	tls *tls.Config
}

type gotMsg struct {
	from  string
	opts  smtp.MailOptions
	rcpts []string
	data  []byte
	tls   bool // arrived over TLS
}

func (s *testServer) messages() []gotMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]gotMsg(nil), s.msgs...)
}

type testSession struct {
	s    *testServer
	conn *smtp.Conn
	cur  gotMsg
}

func (ss *testSession) Reset()        { ss.cur = gotMsg{} }
func (ss *testSession) Logout() error { return nil }
func (ss *testSession) Mail(from string, opts *smtp.MailOptions) error {
	ss.cur = gotMsg{from: from}
	if opts != nil {
		ss.cur.opts = *opts
	}
	return nil
}

func (ss *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.s.rcpt != nil {
		if err := ss.s.rcpt(to); err != nil {
			return err
		}
	}
	ss.cur.rcpts = append(ss.cur.rcpts, to)
	return nil
}

func (ss *testSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.datas++
	if ss.s.data != nil {
		if err := ss.s.data(ss.s.datas); err != nil {
			return err
		}
	}
	m := ss.cur
	m.data = b
	_, m.tls = ss.conn.TLSConnectionState()
	ss.s.msgs = append(ss.s.msgs, m)
	return nil
}

func (ss *testSession) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	m := ss.cur
	m.data = b
	m.rcpts = nil
	for _, rc := range ss.cur.rcpts {
		var err error
		if ss.s.lmtp != nil {
			err = ss.s.lmtp(rc)
		}
		status.SetStatus(rc, err)
		if err == nil {
			m.rcpts = append(m.rcpts, rc)
		}
	}
	ss.s.msgs = append(ss.s.msgs, m)
	return nil
}

func startServer(t testing.TB, network, addr string, lmtp bool, s *testServer) *testServer {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.sessions.Add(1)
		return &testSession{s: s, conn: c}, nil
	}))
	s.srv.TLSConfig = s.tls
	s.srv.Domain = "downstream.test"
	s.srv.LMTP = lmtp
	s.srv.EnableSMTPUTF8 = true
	s.srv.MaxMessageBytes = 64 << 20
	s.srv.ErrorLog = log.New(io.Discard, "", 0) // a killed client's reset is expected
	go s.srv.Serve(l)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func reply(code int, enh smtp.EnhancedCode, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: msg}
}

type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func testQueue(t *testing.T, dir string, c Courier, opt Options) (*Queue, *spool.Spool) {
	t.Helper()
	sp, err := spool.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if opt.MinBackoff == 0 {
		opt.MinBackoff = 50 * time.Millisecond
	}
	if opt.MaxBackoff == 0 {
		opt.MaxBackoff = 200 * time.Millisecond
	}
	opt.RestartDelay = 10 * time.Millisecond
	opt.Timeout = 5 * time.Second
	opt.Hostname = "relay.test"
	opt.Logger = slog.New(slog.NewTextHandler(testLogWriter{t}, nil))
	q := New(sp, c, opt)
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Stop(ctx)
		sp.Close()
	})
	return q, sp
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func spoolEmpty(sp *spool.Spool) func() bool {
	return func() bool { ids, _ := sp.List(); return len(ids) == 0 }
}

func store(t *testing.T, q *Queue, sp *spool.Spool, from string, rcpts []string, body string) string {
	t.Helper()
	id, err := sp.Store(spool.Envelope{From: from, Rcpts: rcpts, ClientIP: "127.0.0.1", Helo: "client.test"}, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	q.Kick(id)
	return id
}

// A body that trips careless relays: dot-stuffing, 8-bit text, a long
// line, a line that is only a dot inside the text, trailing spaces.
var trickyBody = "From: Buyer <buyer@example.org>\r\nTo: sales@company.test\r\nSubject: =?utf-8?q?Bestellung_f=C3=BCr?= 42\r\nDKIM-Signature: v=1; a=rsa-sha256; d=example.org;\r\n\tb=abc\r\n\r\n" +
	".leading dot\r\n..two dots\r\n.\r\nGrüße, naïve café   \r\n" + strings.Repeat("x", 990) + "\r\nend\r\n"

func TestSMTPBytesUnchanged(t *testing.T) {
	srv := startServer(t, "tcp", "127.0.0.1:0", false, &testServer{})
	var prepared atomic.Int32
	hdr := "X-Buyer-Grade: B\r\nAuthentication-Results: relay.test; spf=pass\r\n"
	c := &SMTP{Network: "tcp", Addr: srv.addr, Hostname: "relay.test", Timeout: 5 * time.Second}
	q, sp := testQueue(t, t.TempDir(), c, Options{Prepare: func(ctx context.Context, id string, env spool.Envelope, body func() (io.ReadCloser, error)) []byte {
		prepared.Add(1)
		rc, err := body()
		if err != nil {
			t.Error(err)
			return nil
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != trickyBody || env.From != "buyer@example.org" {
			t.Errorf("Prepare saw %q from %q", b, env.From)
		}
		return []byte(hdr)
	}})
	store(t, q, sp, "buyer@example.org", []string{"sales@company.test", "boss@company.test"}, trickyBody)
	waitFor(t, "delivery", 10*time.Second, spoolEmpty(sp))
	msgs := srv.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if string(m.data) != hdr+trickyBody {
		t.Errorf("bytes changed:\n got %q\nwant %q", m.data, hdr+trickyBody)
	}
	if m.from != "buyer@example.org" || strings.Join(m.rcpts, ",") != "sales@company.test,boss@company.test" {
		t.Errorf("envelope %q %v", m.from, m.rcpts)
	}
	if m.opts.Size != int64(len(hdr+trickyBody)) || m.opts.Body != smtp.Body8BitMIME {
		t.Errorf("MAIL options %+v", m.opts)
	}
	if prepared.Load() != 1 {
		t.Errorf("Prepare called %d times", prepared.Load())
	}
}

// A real Postfix peer: smtp-sink writes each message it receives to a file.
func TestSMTPToSmtpSink(t *testing.T) {
	sink := "/usr/sbin/smtp-sink"
	if _, err := os.Stat(sink); err != nil {
		requireTool(t, "smtp-sink (postfix) not installed")
	}
	dumps := t.TempDir()
	addr := freeAddr(t)
	cmd := exec.Command(sink, "-u", "root", "-d", dumps+"/%M.", addr, "100")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, "smtp-sink to listen", 5*time.Second, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	hdr := "X-Buyer-Grade: A\r\n"
	c := &SMTP{Network: "tcp", Addr: addr, Hostname: "relay.test", Timeout: 5 * time.Second}
	q, sp := testQueue(t, t.TempDir(), c, Options{Prepare: func(context.Context, string, spool.Envelope, func() (io.ReadCloser, error)) []byte {
		return []byte(hdr)
	}})
	for i := range 5 {
		store(t, q, sp, "buyer@example.org", []string{fmt.Sprintf("r%d@company.test", i)}, trickyBody)
	}
	waitFor(t, "delivery", 10*time.Second, spoolEmpty(sp))
	var files []string
	waitFor(t, "5 dump files", 5*time.Second, func() bool {
		files, _ = filepath.Glob(filepath.Join(dumps, "*"))
		return len(files) == 5
	})
	// smtp-sink writes lines with LF endings after its own headers, which
	// end with its Received: field (three lines), then an empty line.
	want := strings.ReplaceAll(hdr+trickyBody, "\r\n", "\n") + "\n"
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(b, []byte("\nReceived: from "))
		lines := bytes.SplitAfterN(b[i+1:], []byte("\n"), 4)
		if i < 0 || len(lines) != 4 {
			t.Fatalf("%s: unexpected dump:\n%s", f, b)
		}
		if got := string(lines[3]); got != want {
			t.Errorf("%s: bytes changed:\n got %q\nwant %q", f, got, want)
		}
		// smtp-sink announces 8BITMIME but not SIZE.
		if !bytes.Contains(b, []byte("X-Mail-Args: <buyer@example.org> BODY=8BITMIME\n")) {
			t.Errorf("%s: MAIL arguments not announced:\n%s", f, b[:i])
		}
	}
}

func TestRetryAfter451(t *testing.T) {
	srv := startServer(t, "tcp", "127.0.0.1:0", false, &testServer{data: func(n int) error {
		if n == 1 {
			return reply(451, smtp.EnhancedCode{4, 3, 0}, "try again later")
		}
		return nil
	}})
	reg := prometheus.NewRegistry()
	c := &SMTP{Network: "tcp", Addr: srv.addr, Timeout: 5 * time.Second}
	q, sp := testQueue(t, t.TempDir(), c, Options{Registry: reg})
	id := store(t, q, sp, "a@example.org", []string{"x@company.test"}, "Subject: retry\r\n\r\nhi\r\n")
	waitFor(t, "a deferral", 5*time.Second, func() bool {
		e, err := sp.Load(id)
		return err == nil && e.State.Rcpts[0].LastError != ""
	})
	e, _ := sp.Load(id)
	r := e.State.Rcpts[0]
	// The second attempt may have started (its attempt count is saved
	// before dialling).
	if r.Attempts < 1 || r.Status != spool.Pending || r.DSNStatus != "4.3.0" || !strings.Contains(r.LastError, "451 4.3.0 try again later") {
		t.Errorf("after 451: %+v", r)
	}
	waitFor(t, "delivery", 5*time.Second, spoolEmpty(sp))
	if n := len(srv.messages()); n != 1 {
		t.Errorf("%d messages delivered", n)
	}
	want := map[string]float64{"tradesift_delivery_delivered_total": 1, "tradesift_delivery_deferred_total": 1, "tradesift_delivery_bounced_total": 0}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if m.Counter != nil {
				got[mf.GetName()] = m.Counter.GetValue()
			}
			if m.Gauge != nil {
				got[mf.GetName()] = m.Gauge.GetValue()
			}
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if _, ok := got["tradesift_queue_size"]; !ok {
		t.Error("tradesift_queue_size not registered")
	}
}

// 550 for one recipient: the other is delivered, the sender gets a DSN
// (delivered through the same downstream), and the entry is removed.
func TestBounceOn550(t *testing.T) {
	srv := startServer(t, "tcp", "127.0.0.1:0", false, &testServer{rcpt: func(to string) error {
		if strings.HasPrefix(to, "nobody@") {
			return reply(550, smtp.EnhancedCode{5, 1, 1}, "no such user here")
		}
		return nil
	}})
	c := &SMTP{Network: "tcp", Addr: srv.addr, Timeout: 5 * time.Second}
	q, sp := testQueue(t, t.TempDir(), c, Options{BounceFrom: "MAILER-DAEMON@relay.test"})
	id := store(t, q, sp, "buyer@example.org", []string{"nobody@company.test", "sales@company.test"}, "Subject: order 7\r\nMessage-ID: <o7@example.org>\r\n\r\nsecret body\r\n")
	waitFor(t, "delivery and bounce", 5*time.Second, func() bool { return spoolEmpty(sp)() && len(srv.messages()) == 2 })
	msgs := srv.messages()
	if msgs[0].from != "buyer@example.org" || strings.Join(msgs[0].rcpts, ",") != "sales@company.test" {
		t.Errorf("first delivery %q %v", msgs[0].from, msgs[0].rcpts)
	}
	b := msgs[1]
	if b.from != "" || strings.Join(b.rcpts, ",") != "buyer@example.org" {
		t.Fatalf("bounce envelope %q %v", b.from, b.rcpts)
	}
	for _, want := range []string{
		"Content-Type: multipart/report; boundary=", "report-type=delivery-status",
		"From: Mail Delivery System <MAILER-DAEMON@relay.test>",
		"Reporting-MTA: dns; relay.test", "X-Tradesift-Queue-ID: " + id,
		"Final-Recipient: rfc822; nobody@company.test", "Action: failed", "Status: 5.1.1",
		"Remote-MTA: dns; " + srv.addr,
		"Diagnostic-Code: smtp; 550 5.1.1 no such user here",
		"Content-Type: text/rfc822-headers", "Subject: order 7",
	} {
		if !bytes.Contains(b.data, []byte(want)) {
			t.Errorf("bounce lacks %q", want)
		}
	}
	if bytes.Contains(b.data, []byte("sales@company.test")) || bytes.Contains(b.data, []byte("secret body")) {
		t.Errorf("bounce mentions the delivered recipient or the body:\n%s", b.data)
	}
}

// Still failing with 4xx after MaxLifetime: bounced with the last 4.x.x.
func TestMaxLifetimeBounce(t *testing.T) {
	var tries atomic.Int32 // counted by the server: polling the spool can miss them on a loaded machine
	srv := startServer(t, "tcp", "127.0.0.1:0", false, &testServer{rcpt: func(to string) error {
		if to == "slow@company.test" {
			tries.Add(1)
			return reply(452, smtp.EnhancedCode{4, 2, 2}, "mailbox full")
		}
		return nil
	}})
	c := &SMTP{Network: "tcp", Addr: srv.addr, Timeout: 5 * time.Second}
	q, sp := testQueue(t, t.TempDir(), c, Options{MaxLifetime: 400 * time.Millisecond})
	store(t, q, sp, "buyer@example.org", []string{"slow@company.test"}, "Subject: s\r\n\r\nx\r\n")
	waitFor(t, "expiry bounce", 10*time.Second, func() bool {
		return spoolEmpty(sp)() && len(srv.messages()) == 1
	})
	if attempts := tries.Load(); attempts < 2 {
		t.Errorf("only %d attempts before expiry", attempts)
	}
	b := srv.messages()[0]
	if b.from != "" || !bytes.Contains(b.data, []byte("Status: 4.2.2")) || !bytes.Contains(b.data, []byte("Action: failed")) ||
		!bytes.Contains(b.data, []byte("Diagnostic-Code: smtp; 452 4.2.2 mailbox full")) {
		t.Errorf("expiry bounce:\n%s", b.data)
	}
}

// A message from the null sender that fails is dropped, never bounced.
func TestNoBounceToNullSender(t *testing.T) {
	srv := startServer(t, "tcp", "127.0.0.1:0", false, &testServer{rcpt: func(string) error {
		return reply(550, smtp.EnhancedCode{5, 1, 1}, "no")
	}})
	c := &SMTP{Network: "tcp", Addr: srv.addr, Timeout: 5 * time.Second}
	q, sp := testQueue(t, t.TempDir(), c, Options{})
	store(t, q, sp, "", []string{"x@company.test"}, "Subject: a bounce\r\n\r\nx\r\n")
	waitFor(t, "removal", 5*time.Second, spoolEmpty(sp))
	time.Sleep(100 * time.Millisecond)
	if ids, _ := sp.List(); len(ids) != 0 || len(srv.messages()) != 0 {
		t.Errorf("spool %v, messages %d", ids, len(srv.messages()))
	}
}

// LMTP: one DATA reply per recipient, over TCP and a unix socket.
func TestLMTPPerRecipient(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			addr := "127.0.0.1:0"
			if network == "unix" {
				addr = filepath.Join(t.TempDir(), "lmtp.sock")
			}
			srv := startServer(t, network, addr, true, &testServer{lmtp: func(rcpt string) error {
				switch rcpt {
				case "gone@company.test":
					return reply(550, smtp.EnhancedCode{5, 1, 1}, "unknown user")
				case "full@company.test":
					return reply(452, smtp.EnhancedCode{4, 2, 2}, "over quota")
				}
				return nil
			}})
			target := "lmtp://" + srv.addr
			if network == "unix" {
				target = "lmtp:unix:" + srv.addr
			}
			tg, err := config.ParseTarget(target)
			if err != nil {
				t.Fatal(err)
			}
			c, err := NewCourier(tg, CourierOptions{Hostname: "relay.test", Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			errs := c.Deliver(context.Background(), "a@example.org", []string{"ok@company.test", "gone@company.test", "full@company.test"}, strings.NewReader("Subject: l\r\n\r\nx\r\n"))
			if len(errs) != 3 || errs[0] != nil || !IsPermanent(errs[1]) || errs[2] == nil || IsPermanent(errs[2]) {
				t.Fatalf("errors %v", errs)
			}
			if !strings.Contains(errs[1].Error(), "550 5.1.1") || !strings.Contains(errs[1].Error(), "unknown user") {
				t.Errorf("error text %q", errs[1])
			}
			if m := srv.messages(); len(m) != 1 || strings.Join(m[0].rcpts, ",") != "ok@company.test" {
				t.Errorf("server got %+v", m)
			}
		})
	}
}

func TestMaildir(t *testing.T) {
	t.Run("fsync", func(t *testing.T) { testMaildir(t, false) })
	t.Run("syncfs", func(t *testing.T) { testMaildir(t, true) })
}

func testMaildir(t *testing.T, syncfs bool) {
	root := t.TempDir()
	tg, err := config.ParseTarget("maildir:" + root)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCourier(tg, CourierOptions{Hostname: "relay.test", Timeout: time.Second, SyncFS: syncfs})
	if err != nil {
		t.Fatal(err)
	}
	hdr := "X-Buyer-Grade: C\r\n"
	q, sp := testQueue(t, t.TempDir(), c, Options{Prepare: func(context.Context, string, spool.Envelope, func() (io.ReadCloser, error)) []byte {
		return []byte(hdr)
	}})
	rcpts := []string{"Sales@Company.TEST", "../../etc/passwd@x", "boss@company.test"}
	store(t, q, sp, "buyer@example.org", rcpts, trickyBody)
	waitFor(t, "delivery", 5*time.Second, spoolEmpty(sp))
	for _, box := range []string{"Sales@company.test", "_._.._etc_passwd@x", "boss@company.test"} {
		files, _ := filepath.Glob(filepath.Join(root, box, "new", "*"))
		if len(files) != 1 {
			t.Fatalf("%s: %d files in new/", box, len(files))
		}
		b, _ := os.ReadFile(files[0])
		if string(b) != hdr+trickyBody {
			t.Errorf("%s: bytes changed", box)
		}
		if tmp, _ := os.ReadDir(filepath.Join(root, box, "tmp")); len(tmp) != 0 {
			t.Errorf("%s: tmp/ not empty", box)
		}
		if _, err := os.Stat(filepath.Join(root, box, "cur")); err != nil {
			t.Error(err)
		}
	}
	ents, _ := os.ReadDir(root)
	if len(ents) != 3 {
		t.Errorf("root holds %d entries", len(ents))
	}
}

// Concurrent deliveries into one folder share their durability calls
// (folder fsyncs or syncfs) and each copy arrives whole, once.
func TestMaildirConcurrent(t *testing.T) {
	for _, syncfs := range []bool{false, true} {
		t.Run(fmt.Sprintf("syncfs=%v", syncfs), func(t *testing.T) {
			root := t.TempDir()
			m := NewMaildir(root, "relay.test", syncfs)
			var wg sync.WaitGroup
			for i := range 40 {
				wg.Go(func() {
					body := fmt.Sprintf("Subject: %d\r\n\r\n%s\r\n", i, strings.Repeat("x", i*100))
					if errs := m.Deliver(context.Background(), "", []string{"rep@company.test"}, strings.NewReader(body)); errs[0] != nil {
						t.Error(errs[0])
					}
				})
			}
			wg.Wait()
			files, _ := filepath.Glob(filepath.Join(root, "rep@company.test", "new", "*"))
			seen := map[string]bool{}
			for _, f := range files {
				b, _ := os.ReadFile(f)
				var i int
				fmt.Sscanf(string(b), "Subject: %d", &i)
				if string(b) != fmt.Sprintf("Subject: %d\r\n\r\n%s\r\n", i, strings.Repeat("x", i*100)) || seen[string(b)] {
					t.Errorf("%s: %.40q", f, b)
				}
				seen[string(b)] = true
			}
			if len(seen) != 40 {
				t.Errorf("%d distinct copies of 40", len(seen))
			}
			if tmp, _ := os.ReadDir(filepath.Join(root, "rep@company.test", "tmp")); len(tmp) != 0 {
				t.Errorf("tmp/ holds %d files", len(tmp))
			}
		})
	}
}

// TestMaildirFolderFlags files drafts the way Dovecot reads them: in the
// recipient's Maildir++ ".Drafts" folder, in cur/ with the D flag.
func TestMaildirFolderFlags(t *testing.T) {
	root := t.TempDir()
	m := &Maildir{Root: root, Hostname: "relay.test", Folder: ".Drafts", Flags: "D"}
	errs := m.Deliver(context.Background(), "", []string{"rep@company.test", "two@company.test"}, strings.NewReader("Subject: draft\r\n\r\nhi\r\n"))
	for i, err := range errs {
		if err != nil {
			t.Fatalf("rcpt %d: %v", i, err)
		}
	}
	for _, box := range []string{"rep@company.test", "two@company.test"} {
		files, _ := filepath.Glob(filepath.Join(root, box, ".Drafts", "cur", "*:2,D"))
		if len(files) != 1 {
			t.Fatalf("%s: %d drafts in .Drafts/cur", box, len(files))
		}
		if b, _ := os.ReadFile(files[0]); string(b) != "Subject: draft\r\n\r\nhi\r\n" {
			t.Errorf("%s: bytes %q", box, b)
		}
		if n, _ := filepath.Glob(filepath.Join(root, box, ".Drafts", "new", "*")); len(n) != 0 {
			t.Errorf("%s: %d files in new/", box, len(n))
		}
	}
}

func TestMailboxName(t *testing.T) {
	for in, want := range map[string]string{
		"a@Example.COM":    "a@example.com",
		"../x@y":           "_._x@y",
		"a/b@c":            "a_b@c",
		"":                 "_",
		".hidden@x":        "_hidden@x",
		"ü@x":              "__@x",
		"a b\x00@c":        "a_b_@c",
		"first.last+tag@x": "first.last+tag@x",
	} {
		if got := MailboxName(in); got != want {
			t.Errorf("MailboxName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Restart: entries spooled while the downstream is down are tried, the
// queue is stopped, the downstream comes up, a new queue delivers them all.
func TestRestartResumes(t *testing.T) {
	addr := freeAddr(t) // nothing listens there yet
	dir := t.TempDir()
	c := &SMTP{Network: "tcp", Addr: addr, Timeout: 2 * time.Second}
	sp, err := spool.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	for i := range n {
		if _, err := sp.Store(spool.Envelope{From: "a@example.org", Rcpts: []string{fmt.Sprintf("r%d@company.test", i)}}, strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i))); err != nil {
			t.Fatal(err)
		}
	}
	sp.Close()

	q1, sp1 := testQueue(t, dir, c, Options{})
	waitFor(t, "failed attempts", 5*time.Second, func() bool {
		ids, _ := sp1.List()
		for _, id := range ids {
			if e, err := sp1.Load(id); err != nil || e.State.Rcpts[0].LastError == "" {
				return false
			}
		}
		return len(ids) == n
	})
	if err := q1.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	sp1.Close()

	srv := startServer(t, "tcp", addr, false, &testServer{})
	_, sp2 := testQueue(t, dir, c, Options{})
	waitFor(t, "all delivered after restart", 10*time.Second, spoolEmpty(sp2))
	if got := len(srv.messages()); got != n {
		t.Errorf("%d delivered, want %d", got, n)
	}
}

// A panicking filter does not stop delivery; the message goes without a
// header block.
func TestPreparePanic(t *testing.T) {
	srv := startServer(t, "tcp", "127.0.0.1:0", false, &testServer{})
	c := &SMTP{Network: "tcp", Addr: srv.addr, Timeout: 5 * time.Second}
	q, sp := testQueue(t, t.TempDir(), c, Options{Prepare: func(context.Context, string, spool.Envelope, func() (io.ReadCloser, error)) []byte {
		panic("classifier bug")
	}})
	store(t, q, sp, "a@example.org", []string{"x@company.test"}, "Subject: p\r\n\r\nx\r\n")
	waitFor(t, "delivery", 5*time.Second, spoolEmpty(sp))
	if m := srv.messages(); len(m) != 1 || string(m[0].data) != "Subject: p\r\n\r\nx\r\n" {
		t.Errorf("got %+v", m)
	}
}

// A downstream that never answers DATA: the attempt times out and is
// deferred, and Stop returns promptly when its context ends.
func TestStopCancelsHungAttempt(t *testing.T) {
	release := make(chan struct{})
	inData := make(chan struct{}, 1)
	srv := startServer(t, "tcp", "127.0.0.1:0", false, &testServer{data: func(int) error {
		inData <- struct{}{}
		<-release
		return nil
	}})
	defer close(release)
	c := &SMTP{Network: "tcp", Addr: srv.addr, Timeout: time.Minute}
	q, sp := testQueue(t, t.TempDir(), c, Options{})
	id := store(t, q, sp, "a@example.org", []string{"x@company.test"}, "Subject: h\r\n\r\nx\r\n")
	select {
	case <-inData:
	case <-time.After(5 * time.Second):
		t.Fatal("the attempt did not reach DATA")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := q.Stop(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Fatalf("Stop = %v after %v", err, time.Since(start))
	}
	e, err := sp.Load(id)
	if err != nil || e.State.Rcpts[0].Status != spool.Pending || e.State.Rcpts[0].LastError == "" || !e.State.InFlight {
		t.Fatalf("after cancelled attempt: %+v %v", e, err)
	}
}

func TestBackoff(t *testing.T) {
	q := New(nil, nil, Options{MinBackoff: 1500 * time.Millisecond, MaxBackoff: 10 * time.Second})
	for _, tc := range []struct {
		n        int
		lo, high time.Duration
	}{
		{1, 1350 * time.Millisecond, 1650 * time.Millisecond},
		{2, 2700 * time.Millisecond, 3300 * time.Millisecond},
		{3, 5400 * time.Millisecond, 6600 * time.Millisecond},
		{4, 9000 * time.Millisecond, 10 * time.Second},
		{40, 9000 * time.Millisecond, 10 * time.Second},
	} {
		for range 50 {
			if d := q.backoff(tc.n); d < tc.lo || d > tc.high {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", tc.n, d, tc.lo, tc.high)
			}
		}
	}
}

func TestCourierRefusedConnection(t *testing.T) {
	c := &SMTP{Network: "tcp", Addr: freeAddr(t), Timeout: time.Second}
	errs := c.Deliver(context.Background(), "a@b", []string{"x@y", "z@y"}, strings.NewReader("x"))
	if len(errs) != 2 || errs[0] == nil || IsPermanent(errs[0]) || errs[1] == nil {
		t.Fatalf("errors %v", errs)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func requireTool(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("TRADESIFT_REQUIRE_TOOLS") == "1" {
		t.Fatal(reason)
	}
	t.Skip(reason)
}

// A non-ASCII address needs SMTPUTF8: sent with it when offered, a
// permanent failure (5.6.7 in Postfix terms) when not.
func TestSMTPUTF8(t *testing.T) {
	srv := startServer(t, "tcp", "127.0.0.1:0", false, &testServer{})
	c := &SMTP{Network: "tcp", Addr: srv.addr, Timeout: 5 * time.Second}
	errs := c.Deliver(context.Background(), "käufer@example.org", []string{"vertrieb@firma.test"}, strings.NewReader("Subject: x\r\n\r\nx\r\n"))
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	if m := srv.messages(); len(m) != 1 || !m[0].opts.UTF8 {
		t.Errorf("got %+v", m)
	}

	plain := startServer(t, "tcp", "127.0.0.1:0", false, &testServer{})
	plain.srv.EnableSMTPUTF8 = false
	c = &SMTP{Network: "tcp", Addr: plain.addr, Timeout: 5 * time.Second}
	errs = c.Deliver(context.Background(), "käufer@example.org", []string{"a@firma.test", "b@firma.test"}, strings.NewReader("x"))
	if !IsPermanent(errs[0]) || !IsPermanent(errs[1]) {
		t.Errorf("errors %v", errs)
	}
}

// Per-recipient RCPT replies over SMTP: one refused permanently, one
// temporarily, one accepted and delivered.
func TestSMTPPerRecipientRcpt(t *testing.T) {
	srv := startServer(t, "tcp", "127.0.0.1:0", false, &testServer{rcpt: func(to string) error {
		switch to {
		case "gone@firma.test":
			return reply(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
		case "busy@firma.test":
			return reply(450, smtp.EnhancedCode{4, 2, 1}, "mailbox busy")
		}
		return nil
	}})
	c := &SMTP{Network: "tcp", Addr: srv.addr, Timeout: 5 * time.Second}
	errs := c.Deliver(context.Background(), "a@example.org", []string{"gone@firma.test", "busy@firma.test", "ok@firma.test"}, strings.NewReader("Subject: x\r\n\r\nx\r\n"))
	if !IsPermanent(errs[0]) || errs[1] == nil || IsPermanent(errs[1]) || errs[2] != nil {
		t.Fatalf("errors %v", errs)
	}
	if st, diag := dsnStatus(errs[0]); st != "5.1.1" || diag != "smtp; 550 5.1.1 no such user" {
		t.Errorf("dsnStatus = %q, %q", st, diag)
	}
	if m := srv.messages(); len(m) != 1 || strings.Join(m[0].rcpts, ",") != "ok@firma.test" {
		t.Errorf("got %+v", m)
	}
}

// kill -9 during an attempt leaves InFlight set with a far next attempt
// time: the next Start retries it soon anyway.
func TestRestartAfterInterruptedAttempt(t *testing.T) {
	srv := startServer(t, "tcp", "127.0.0.1:0", false, &testServer{})
	dir := t.TempDir()
	sp, err := spool.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	id, err := sp.Store(spool.Envelope{From: "a@example.org", Rcpts: []string{"x@company.test"}}, strings.NewReader("Subject: i\r\n\r\nx\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	st := spool.State{InFlight: true, Rcpts: []spool.Rcpt{{Addr: "x@company.test", Attempts: 1, NextAttempt: time.Now().Add(time.Hour)}}}
	if err := sp.SaveAttempt(id, []byte("X-A: 1\r\n"), st); err != nil {
		t.Fatal(err)
	}
	sp.Close()
	c := &SMTP{Network: "tcp", Addr: srv.addr, Timeout: 5 * time.Second}
	_, sp2 := testQueue(t, dir, c, Options{MinBackoff: time.Hour, MaxBackoff: time.Hour})
	waitFor(t, "delivery", 5*time.Second, spoolEmpty(sp2))
	if m := srv.messages(); len(m) != 1 || string(m[0].data) != "X-A: 1\r\nSubject: i\r\n\r\nx\r\n" {
		t.Errorf("got %+v", m)
	}
}

// At most Workers deliveries run at once.
func TestWorkersBound(t *testing.T) {
	var cur, peak atomic.Int32
	srv := startServer(t, "tcp", "127.0.0.1:0", false, &testServer{})
	srv.rcpt = func(string) error {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		cur.Add(-1)
		return nil
	}
	c := &SMTP{Network: "tcp", Addr: srv.addr, Timeout: 5 * time.Second}
	q, sp := testQueue(t, t.TempDir(), c, Options{Workers: 3})
	for i := range 15 {
		store(t, q, sp, "a@example.org", []string{fmt.Sprintf("r%d@company.test", i)}, "Subject: w\r\n\r\nx\r\n")
	}
	waitFor(t, "delivery", 10*time.Second, spoolEmpty(sp))
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak concurrency %d, want 2..3", p)
	}
}

// A 25 MB message goes from the spool to a Maildir without being held in
// memory.
func TestLargeMessageStreams(t *testing.T) {
	root := t.TempDir()
	q, sp := testQueue(t, t.TempDir(), &Maildir{Root: root, Hostname: "relay.test"}, Options{})
	const size = 25 << 20
	body := io.MultiReader(strings.NewReader("Subject: big\r\n\r\n"), io.LimitReader(mtatest.Repeat('x'), size))
	id, err := sp.Store(spool.Envelope{From: "a@example.org", Rcpts: []string{"big@company.test"}}, body)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	q.Kick(id)
	waitFor(t, "delivery", 20*time.Second, spoolEmpty(sp))
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("delivering %d bytes allocated %d bytes", size, alloc)
	}
	files, _ := filepath.Glob(filepath.Join(root, "big@company.test", "new", "*"))
	if len(files) != 1 {
		t.Fatal(files)
	}
	if fi, _ := os.Stat(files[0]); fi.Size() != size+int64(len("Subject: big\r\n\r\n")) {
		t.Errorf("size %d", fi.Size())
	}
}

// A full disk under the Maildir root is a temporary failure.
func TestMaildirDiskFull(t *testing.T) {
	root := mtatest.Tmpfs(t, "64k")
	m := &Maildir{Root: root, Hostname: "relay.test"}
	errs := m.Deliver(context.Background(), "a@example.org", []string{"a@company.test", "b@company.test"}, io.LimitReader(mtatest.Repeat('x'), 1<<20))
	if errs[0] == nil || IsPermanent(errs[0]) || errs[1] == nil || !errors.Is(errs[0], syscall.ENOSPC) {
		t.Fatalf("errors %v", errs)
	}
	if tmp, _ := filepath.Glob(filepath.Join(root, "*", "tmp", "*")); len(tmp) != 0 {
		t.Errorf("left in tmp/: %v", tmp)
	}
}

// Connections are reused between deliveries, and a cached connection the
// server closed meanwhile is replaced without failing the delivery.
func TestSMTPConnectionReuse(t *testing.T) {
	srv := startServer(t, "tcp", "127.0.0.1:0", false, &testServer{})
	c := &SMTP{Network: "tcp", Addr: srv.addr, Timeout: 5 * time.Second, MaxIdle: 4}
	defer c.Close()
	for i := range 5 {
		errs := c.Deliver(context.Background(), "a@example.org", []string{"x@company.test"}, strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nx\r\n", i)))
		if errs[0] != nil {
			t.Fatal(errs[0])
		}
	}
	if n := srv.sessions.Load(); n != 1 {
		t.Errorf("%d sessions for 5 sequential deliveries", n)
	}

	// The server goes away and comes back: the idle connection is dead.
	srv.srv.Close()
	srv2 := startServer(t, "tcp", srv.addr, false, &testServer{})
	errs := c.Deliver(context.Background(), "a@example.org", []string{"x@company.test"}, strings.NewReader("Subject: after\r\n\r\nx\r\n"))
	if errs[0] != nil {
		t.Fatalf("delivery over a replaced connection: %v", errs[0])
	}
	if len(srv2.messages()) != 1 {
		t.Error("not delivered to the new server")
	}
}

// TestSubjectReplaced: a header block carrying a Subject (subject_tag)
// replaces the message's own Subject; every other byte stays.
func TestSubjectReplaced(t *testing.T) {
	root := t.TempDir()
	c := &Maildir{Root: root, Hostname: "relay.test"}
	hdr := "X-Grade: A\r\nSubject: [A] =?utf-8?q?Bestellung_f=C3=BCr?= 42\r\n"
	q, sp := testQueue(t, t.TempDir(), c, Options{Prepare: func(context.Context, string, spool.Envelope, func() (io.ReadCloser, error)) []byte {
		return []byte(hdr)
	}})
	store(t, q, sp, "buyer@example.org", []string{"sales@company.test"}, trickyBody)
	waitFor(t, "delivery", 5*time.Second, spoolEmpty(sp))
	files, _ := filepath.Glob(filepath.Join(root, "sales@company.test", "new", "*"))
	if len(files) != 1 {
		t.Fatalf("%d files delivered", len(files))
	}
	b, _ := os.ReadFile(files[0])
	want := hdr + strings.Replace(trickyBody, "Subject: =?utf-8?q?Bestellung_f=C3=BCr?= 42\r\n", "", 1)
	if string(b) != want {
		t.Errorf("delivered:\n%q\nwant:\n%q", b, want)
	}
}

// STARTTLS towards the downstream at each [delivery] tls level, against a
// server that offers it with a self-signed certificate and one that does
// not offer it.
func TestStartTLSLevels(t *testing.T) {
	certFile, keyFile := mtatest.SelfSigned(t)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := os.ReadFile(certFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	withTLS := startServer(t, "tcp", "127.0.0.1:0", false, &testServer{tls: &tls.Config{Certificates: []tls.Certificate{cert}}})
	plain := startServer(t, "tcp", "127.0.0.1:0", false, &testServer{})
	for _, tc := range []struct {
		level   string
		srv     *testServer
		roots   *x509.CertPool
		ok, tls bool
	}{
		{"none", withTLS, nil, true, false},
		{"may", withTLS, nil, true, true},
		{"may", plain, nil, true, false},
		{"encrypt", withTLS, nil, true, true},
		{"encrypt", plain, nil, false, false},
		{"verify", withTLS, pool, true, true},
		{"verify", withTLS, nil, false, false}, // self-signed, not in the system's CAs
	} {
		tg, _ := config.ParseTarget("smtp://" + tc.srv.addr)
		c, err := NewCourier(tg, CourierOptions{Hostname: "relay.test", Timeout: 5 * time.Second, StartTLS: tc.level, RootCAs: tc.roots})
		if err != nil {
			t.Fatal(err)
		}
		before := len(tc.srv.messages())
		for range 2 { // the second one on a cached connection
			errs := c.Deliver(context.Background(), "a@example.org", []string{"b@company.test"}, strings.NewReader("Subject: t\r\n\r\nx\r\n"))
			if (errs[0] == nil) != tc.ok {
				t.Errorf("%s to %s: %v", tc.level, tc.srv.addr, errs[0])
			}
			if errs[0] != nil && IsPermanent(errs[0]) {
				t.Errorf("%s: a TLS failure is permanent: %v", tc.level, errs[0])
			}
		}
		if msgs := tc.srv.messages(); tc.ok && (len(msgs) != before+2 || msgs[len(msgs)-1].tls != tc.tls) {
			t.Errorf("%s to %s: %d messages, over TLS %v, want TLS %v", tc.level, tc.srv.addr, len(msgs)-before, len(msgs) > 0 && msgs[len(msgs)-1].tls, tc.tls)
		}
		c.(*SMTP).Close()
	}
}
