package mtatest

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// RecordedMessage is one transaction a Recorder accepted.
type RecordedMessage struct {
	From  string
	Rcpts []string
	Data  []byte // exactly as received, CRLF line ends, unstuffed
}

// RecorderPolicy decides a Recorder's answers; nil funcs accept.
type RecorderPolicy struct {
	// Rcpt returns the reply to RCPT TO, nil to accept.
	Rcpt func(rcpt string) *smtp.SMTPError
	// Data returns the reply after DATA, nil to accept and record.
	Data func(from string, rcpts []string, data []byte) *smtp.SMTPError
}

// Recorder is a small go-smtp server that records every accepted message
// byte for byte and answers as its policy says (a 550 on RCPT, a 554
// after DATA, ...): a downstream whose replies a test controls, where
// smtp-sink can only refuse everything.
type Recorder struct {
	// Addr is its 127.0.0.1:port.
	Addr string

	mu   sync.Mutex
	msgs []RecordedMessage
	srv  *smtp.Server
}

// StartRecorder starts a Recorder on a free loopback port, closed when
// the test ends.
func StartRecorder(t testing.TB, policy RecorderPolicy) *Recorder {
	t.Helper()
	r := &Recorder{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.Addr = l.Addr().String()
	r.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &recSession{r: r, policy: policy}, nil
	}))
	r.srv.Domain = "recorder.test"
	r.srv.MaxMessageBytes = 200 << 20
	r.srv.MaxLineLength = 1 << 20
	r.srv.ReadTimeout = time.Minute
	r.srv.WriteTimeout = time.Minute
	r.srv.EnableSMTPUTF8 = true
	go r.srv.Serve(l)
	t.Cleanup(func() { r.srv.Close() })
	return r
}

// Messages returns a copy of what was accepted so far.
func (r *Recorder) Messages() []RecordedMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]RecordedMessage(nil), r.msgs...)
}

// WaitCount waits until n messages are recorded or limit passes.
func (r *Recorder) WaitCount(n int, limit time.Duration) []RecordedMessage {
	deadline := time.Now().Add(limit)
	for {
		ms := r.Messages()
		if len(ms) >= n || time.Now().After(deadline) {
			return ms
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type recSession struct {
	r      *Recorder
	policy RecorderPolicy
	from   string
	rcpts  []string
}

func (s *recSession) Reset()        { s.from, s.rcpts = "", nil }
func (s *recSession) Logout() error { return nil }

func (s *recSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from, s.rcpts = from, nil
	return nil
}

func (s *recSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.policy.Rcpt != nil {
		if e := s.policy.Rcpt(to); e != nil {
			return e
		}
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *recSession) Data(rd io.Reader) error {
	b, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	if s.policy.Data != nil {
		if e := s.policy.Data(s.from, s.rcpts, b); e != nil {
			return e
		}
	}
	s.r.mu.Lock()
	s.r.msgs = append(s.r.msgs, RecordedMessage{From: s.from, Rcpts: append([]string(nil), s.rcpts...), Data: b})
	s.r.mu.Unlock()
	return nil
}
