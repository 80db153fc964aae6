package mtatest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// SinkOptions configure StartSMTPSink.
type SinkOptions struct {
	// Dump writes every received message to a file in Sink.Dir (smtp-sink
	// -d). Dumping costs disk time; leave it off for throughput runs,
	// where Count (smtp-sink -c) is enough.
	Dump bool
	// Args are extra smtp-sink options, e.g. {"-f", "RCPT"} to answer
	// RCPT with a 5xx, {"-r", "DATA"} for a 4xx.
	Args []string
	// Addr to listen on; empty picks a free 127.0.0.1 port.
	Addr string
}

// Sink is a running Postfix smtp-sink: a fast SMTP server that accepts
// (or, with options, rejects) everything.
type Sink struct {
	// Addr is its 127.0.0.1:port.
	Addr string
	// Dir receives one file per message when SinkOptions.Dump is set.
	Dir string

	t    testing.TB
	args []string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	out  *syncBuffer
	// base is the message count of earlier runs (Stop then Start).
	base int
}

// StartSMTPSink starts /usr/sbin/smtp-sink on a loopback port; it is
// stopped when the test ends. As root it drops to nobody (-u), and the
// dump directory is world-writable for that.
func StartSMTPSink(t testing.TB, opts SinkOptions) *Sink {
	t.Helper()
	RequireTool(t, SMTPSinkPath)
	s := &Sink{Addr: opts.Addr, t: t}
	if s.Addr == "" {
		s.Addr = FreeAddr(t)
	}
	args := []string{"-c"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "nobody")
	}
	if opts.Dump {
		s.Dir = filepath.Join(WorldDir(t, "sink"), "dump")
		if err := os.Mkdir(s.Dir, 0o777); err != nil {
			t.Fatal(err)
		}
		os.Chmod(s.Dir, 0o777)
		// Seconds in the name: smtp-sink appends 32 random bits.
		args = append(args, "-d", s.Dir+"/%H%M%S.")
	}
	args = append(args, opts.Args...)
	s.args = append(args, s.Addr, "256")
	t.Cleanup(s.Stop)
	if err := s.start(); err != nil {
		t.Fatalf("smtp-sink: %v", err)
	}
	return s
}

func (s *Sink) start() error {
	s.out = &syncBuffer{}
	cmd := exec.Command(SMTPSinkPath, s.args...)
	cmd.Stdout = s.out
	cmd.Stderr = s.out
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	if err := waitSMTP(s.Addr, 10*time.Second, done); err != nil {
		return fmt.Errorf("%v\n%s", err, s.out.String())
	}
	return nil
}

// Start restarts a stopped sink on the same address and directory.
func (s *Sink) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("smtp-sink restart: %v", err)
	}
}

// Stop terminates the sink; connections are refused until Start.
func (s *Sink) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	n := s.runCount()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
	}
	s.base += n
	waitGone(s.Addr, 5*time.Second)
}

var mesgRE = regexp.MustCompile(`mesg=(\d+)`)

func (s *Sink) runCount() int {
	m := mesgRE.FindAllStringSubmatch(s.out.String(), -1)
	if len(m) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(m[len(m)-1][1])
	return n
}

// Count is the number of messages accepted so far (smtp-sink's running
// counter, summed over restarts).
func (s *Sink) Count() int { return s.base + s.runCount() }

// PID of the running sink, 0 when stopped.
func (s *Sink) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	select {
	case <-s.done:
		return 0
	default:
		return s.cmd.Process.Pid
	}
}

// WaitCount waits until Count reaches n or limit passes; it returns the
// last count.
func (s *Sink) WaitCount(n int, limit time.Duration) int {
	deadline := time.Now().Add(limit)
	for {
		c := s.Count()
		if c >= n || time.Now().After(deadline) {
			return c
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// SinkMessage is one message as smtp-sink dumped it.
type SinkMessage struct {
	// Path of the dump file.
	Path string
	// MailFrom is the MAIL FROM argument, brackets and parameters
	// included ("<a@b> BODY=8BITMIME").
	MailFrom string
	// Rcpts are the RCPT TO arguments.
	Rcpts []string
	// Data is the message as received, with smtp-sink's own header block
	// removed. smtp-sink writes text lines ending in LF: CRLF is LF here,
	// and the final empty line it adds is removed. Compare with
	// NormalizeLF of what was sent.
	Data []byte
}

// Messages reads every complete dump file (requires SinkOptions.Dump),
// sorted by file name. Files still being written are skipped.
func (s *Sink) Messages() ([]SinkMessage, error) {
	if s.Dir == "" {
		return nil, fmt.Errorf("sink started without Dump")
	}
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var out []SinkMessage
	for _, name := range names {
		p := filepath.Join(s.Dir, name)
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		m, ok := parseSinkDump(b)
		if !ok {
			continue
		}
		m.Path = p
		out = append(out, m)
	}
	return out, nil
}

// parseSinkDump splits smtp-sink's X-* records and three-line Received
// header from the message. A file without the final empty line is still
// being written.
func parseSinkDump(b []byte) (SinkMessage, bool) {
	var m SinkMessage
	if !bytes.HasSuffix(b, []byte("\n\n")) {
		return m, false
	}
	rest := b
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return m, false
		}
		line := string(rest[:i])
		rest = rest[i+1:]
		switch {
		case strings.HasPrefix(line, "X-Mail-Args: "):
			m.MailFrom = strings.TrimPrefix(line, "X-Mail-Args: ")
		case strings.HasPrefix(line, "X-Rcpt-Args: "):
			m.Rcpts = append(m.Rcpts, strings.TrimPrefix(line, "X-Rcpt-Args: "))
		case strings.HasPrefix(line, "Received: "):
			// Two continuation lines follow.
			for k := 0; k < 2; k++ {
				j := bytes.IndexByte(rest, '\n')
				if j < 0 {
					return m, false
				}
				rest = rest[j+1:]
			}
			m.Data = rest[:len(rest)-1]
			return m, true
		}
	}
}
