package mtatest

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// SendSMTP delivers one message over a fresh connection with the go-smtp
// client (EHLO, MAIL, RCPT..., DATA, QUIT). msg should have CRLF line
// endings: the client's DATA writer turns a bare LF into CRLF. An SMTP
// refusal comes back as *smtp.SMTPError (Code, EnhancedCode, Message).
func SendSMTP(addr, from string, to []string, msg []byte) error {
	s, err := DialSender(addr)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Send(from, to, msg)
}

// Sender is one SMTP session that sends many messages in a row, as a busy
// MTA would (the benchmark uses one per concurrent session).
type Sender struct {
	c *smtp.Client
}

// DialSender connects to addr and says EHLO.
func DialSender(addr string) (*Sender, error) {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	c := smtp.NewClient(conn)
	c.CommandTimeout = 2 * time.Minute
	c.SubmissionTimeout = 5 * time.Minute
	if err := c.Hello("mtatest.localhost"); err != nil {
		c.Close()
		return nil, err
	}
	return &Sender{c: c}, nil
}

// Send runs one mail transaction. After a refusal the session is reset,
// so the Sender can go on; after a network error it must be closed.
func (s *Sender) Send(from string, to []string, msg []byte) error {
	err := s.c.SendMail(from, to, bytes.NewReader(msg))
	if err != nil {
		if _, ok := err.(*smtp.SMTPError); ok {
			s.c.Reset()
		}
	}
	return err
}

// Close says QUIT and closes the connection.
func (s *Sender) Close() error {
	err := s.c.Quit()
	s.c.Close()
	return err
}

// IsTemporary reports whether err is an SMTP 4xx reply.
func IsTemporary(err error) bool {
	e, ok := err.(*smtp.SMTPError)
	return ok && e.Code >= 400 && e.Code < 500
}

// IsPermanent reports whether err is an SMTP 5xx reply.
func IsPermanent(err error) bool {
	e, ok := err.(*smtp.SMTPError)
	return ok && e.Code >= 500
}

// Swaks runs swaks with args (add "--server", addr etc.) and returns its
// transcript; err is set when swaks exits non-zero (a refused message).
func Swaks(t testing.TB, args ...string) (string, error) {
	t.Helper()
	RequireTool(t, SwaksPath)
	out, err := exec.Command(SwaksPath, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("swaks: %v", err)
	}
	return string(out), nil
}
