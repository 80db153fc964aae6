package smtpd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/internal/mtatest"
	"github.com/tradesift/tradesift/filter/spool"
)

// testConfig is the [smtp] section the tests start from.
func testConfig() config.SMTP {
	return config.SMTP{
		Listen:              "127.0.0.1:0",
		Hostname:            "mx.example.com",
		Domains:             []string{"example.com", "Sales.Example.ORG."},
		MaxMessageSize:      config.Size(256 << 10),
		MaxRecipients:       5,
		MaxLineLength:       8192,
		MaxHeaderSize:       config.Size(64 << 10),
		ReadTimeout:         config.Duration(10 * time.Second),
		WriteTimeout:        config.Duration(10 * time.Second),
		MaxConnections:      20,
		MaxConnectionsPerIP: 20,
	}
}

type testServer struct {
	addr  string
	srv   *Server
	sp    Spooler
	dir   string // the real spool's directory, when there is one
	reg   *prometheus.Registry
	mu    sync.Mutex
	kicks []string
}

// start runs a Server for cfg on loopback with a real spool (or sp when
// given) and stops it at the end of the test.
func start(t *testing.T, cfg config.SMTP, sp Spooler) *testServer {
	t.Helper()
	ts := &testServer{reg: prometheus.NewRegistry()}
	if sp == nil {
		ts.dir = t.TempDir()
		s, err := spool.Open(ts.dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		sp = s
	}
	ts.sp = sp
	srv, err := New(cfg, sp, Options{
		Registry:   ts.reg,
		AuthservID: "mx.example.com",
		OnStored: func(id string) {
			ts.mu.Lock()
			ts.kicks = append(ts.kicks, id)
			ts.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	ts.srv, ts.addr = srv, ln.Addr().String()
	return ts
}

// spooled returns the bodies of the committed spool entries.
func (ts *testServer) spooled(t *testing.T) map[string][]byte {
	t.Helper()
	s := ts.sp.(*spool.Spool)
	ids, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, id := range ids {
		rc, _, err := s.OpenBody(id)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[id] = b
	}
	return out
}

// noSpoolFiles checks that nothing at all is in the spool directory: a
// refused message leaves neither an entry nor a temporary file.
func (ts *testServer) noSpoolFiles(t *testing.T) {
	t.Helper()
	ents, _ := os.ReadDir(ts.dir)
	for _, e := range ents {
		if !e.IsDir() {
			t.Errorf("spool has %s after a refused message", e.Name())
		}
	}
}

// only returns the single spooled message.
func (ts *testServer) only(t *testing.T) (string, []byte) {
	t.Helper()
	m := ts.spooled(t)
	if len(m) != 1 {
		t.Fatalf("%d messages spooled, want 1", len(m))
	}
	for id, b := range m {
		return id, b
	}
	return "", nil
}

// belowReceived strips our Received: field (first field, folded) and
// returns the rest.
func belowReceived(t *testing.T, b []byte) (received string, rest []byte) {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("Received: from ")) {
		t.Fatalf("message does not start with our Received:\n%.300q", b)
	}
	i := 0
	for {
		j := bytes.Index(b[i:], []byte("\r\n"))
		if j < 0 {
			t.Fatal("unterminated Received:")
		}
		i += j + 2
		if i >= len(b) || (b[i] != ' ' && b[i] != '\t') {
			return string(b[:i]), b[i:]
		}
	}
}

// dialog is a raw SMTP conversation, for what real clients will not send.
type dialog struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dial(t *testing.T, addr string) *dialog {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	t.Cleanup(func() { c.Close() })
	return &dialog{t: t, conn: c, r: bufio.NewReader(c)}
}

// reply reads one (multi-line) reply and returns it whole.
func (d *dialog) reply() string {
	d.t.Helper()
	var all strings.Builder
	for {
		line, err := d.r.ReadString('\n')
		all.WriteString(line)
		if err != nil {
			return all.String() + "<" + err.Error() + ">"
		}
		if len(line) < 4 || line[3] != '-' {
			return all.String()
		}
	}
}

// expect reads a reply and fails unless it starts with want.
func (d *dialog) expect(want string) string {
	d.t.Helper()
	got := d.reply()
	if !strings.HasPrefix(got, want) {
		d.t.Fatalf("got reply %q, want %q...", got, want)
	}
	return got
}

func (d *dialog) send(s string) {
	d.t.Helper()
	if _, err := d.conn.Write([]byte(s)); err != nil {
		d.t.Fatalf("write: %v", err)
	}
}

// cmd sends one command line and checks the reply.
func (d *dialog) cmd(line, want string) string {
	d.t.Helper()
	d.send(line + "\r\n")
	return d.expect(want)
}

// hello reads the greeting and says EHLO.
// startData runs MAIL FROM:<a@client.example.net>, RCPT TO:<rcpt> and DATA,
// each expected to succeed; the message data comes next.
func (d *dialog) startData(rcpt string) {
	d.t.Helper()
	d.cmd("MAIL FROM:<a@client.example.net>", "250")
	d.cmd("RCPT TO:<"+rcpt+">", "250")
	d.cmd("DATA", "354")
}

func (d *dialog) hello() string {
	d.t.Helper()
	d.expect("220 ")
	return d.cmd("EHLO client.example.net", "250")
}

// closed reports whether the server closed the connection.
func (d *dialog) closed() bool {
	d.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := d.r.ReadByte()
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || (err != nil && strings.Contains(err.Error(), "reset"))
}

// stillServing checks that a fresh session can deliver a message.
func stillServing(t *testing.T, ts *testServer) {
	t.Helper()
	d := dial(t, ts.addr)
	d.hello()
	d.startData("sales@example.com")
	d.send("Subject: still here\r\n\r\nyes\r\n.\r\n")
	d.expect("250 2.0.0 OK: queued as ")
	d.cmd("QUIT", "221")
}

// tool returns the path of a real client, or skips the test when it is
// missing (fails under TRADESIFT_REQUIRE_TOOLS=1).
func tool(t *testing.T, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("TRADESIFT_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s is required: %v", path, err)
		}
		t.Skipf("%s not installed", path)
	}
	return path
}

// python runs a Python 3 script with args, bounded in time.
func python(t *testing.T, script string, args ...string) (string, error) {
	t.Helper()
	py := tool(t, "/usr/bin/python3")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{"-c", script}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func swaks(t *testing.T, args ...string) (string, error) {
	t.Helper()
	sw := tool(t, "/usr/bin/swaks")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, sw, args...).CombinedOutput()
	return string(out), err
}

// selfSigned writes a certificate and key for mx.example.com and returns
// their paths.
func selfSigned(t *testing.T) (certFile, keyFile string) { return mtatest.SelfSigned(t) }

func startB(b *testing.B, cfg config.SMTP, sp Spooler) string {
	srv, err := New(cfg, sp, Options{})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}
