package deliver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-smtp"

	"github.com/tradesift/tradesift/filter/config"
)

// SMTP delivers over SMTP or LMTP (RFC 5321, RFC 2033) to one fixed
// downstream host: one connection per message, MAIL, one RCPT per
// recipient, DATA. Replies 5xx are permanent; 4xx, network errors and
// timeouts are temporary. Failures before MAIL (no connection, a refused
// greeting or EHLO) are temporary whatever their code: the downstream is
// ours, and a misconfigured one must not bounce mail.
type SMTP struct {
	Network string // tcp or unix
	Addr    string // host:port or socket path
	LMTP    bool
	// TLS wraps the connection in TLS from the start (smtps://).
	TLS       bool
	TLSConfig *tls.Config
	// Hostname is sent in EHLO/LHLO.
	Hostname string
	// Timeout bounds the connection and each command.
	Timeout time.Duration
}

func (c *SMTP) String() string {
	if c.Network == "unix" {
		return "unix:" + c.Addr
	}
	return c.Addr
}

// Sizer is implemented by message readers that know their length; the SMTP
// courier then announces SIZE= in MAIL FROM (RFC 1870).
type Sizer interface{ Size() int64 }

// Deliver implements Courier. For LMTP the DATA reply is per recipient.
func (c *SMTP) Deliver(ctx context.Context, from string, rcpts []string, msg io.Reader) []error {
	errs := make([]error, len(rcpts))
	all := func(err error) []error {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
		return errs
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, c.Network, c.Addr)
	if err != nil {
		return all(fmt.Errorf("connect to %s: %w", c, err))
	}
	// Cancelling ctx (Stop, attempt timeout) unblocks any read or write.
	defer context.AfterFunc(ctx, func() { conn.Close() })()
	if c.TLS {
		cfg := c.TLSConfig
		if cfg == nil {
			host, _, _ := net.SplitHostPort(c.Addr)
			cfg = &tls.Config{ServerName: host}
		}
		conn = tls.Client(conn, cfg)
	}
	var cl *smtp.Client
	if c.LMTP {
		cl = smtp.NewClientLMTP(conn)
	} else {
		cl = smtp.NewClient(conn)
	}
	defer cl.Close()
	cl.CommandTimeout = timeout
	cl.SubmissionTimeout = timeout
	hostname := c.Hostname
	if hostname == "" {
		hostname = "localhost"
	}
	if err := cl.Hello(hostname); err != nil {
		return all(c.wrap("greeting", err, false))
	}

	opts := &smtp.MailOptions{}
	if s, ok := msg.(Sizer); ok {
		opts.Size = s.Size()
	}
	if needsUTF8(from, rcpts) {
		if ok, _ := cl.Extension("SMTPUTF8"); !ok {
			return all(Permanent(fmt.Errorf("%s does not support SMTPUTF8, needed for a non-ASCII address (5.6.7)", c)))
		}
		opts.UTF8 = true
	}
	if err := cl.Mail(from, opts); err != nil {
		return all(c.wrap("MAIL FROM", err, true))
	}
	var accepted []int
	for i, to := range rcpts {
		if err := cl.Rcpt(to, nil); err != nil {
			errs[i] = c.wrap("RCPT TO", err, true)
			continue
		}
		accepted = append(accepted, i)
	}
	if len(accepted) == 0 {
		cl.Quit()
		return errs
	}
	w, err := cl.Data()
	if err != nil {
		return all(c.wrap("DATA", err, true))
	}
	if _, err := io.Copy(w, msg); err != nil {
		return all(c.wrap("DATA", err, false))
	}
	if !c.LMTP {
		if err := w.Close(); err != nil {
			return all(c.wrap("end of DATA", err, true))
		}
	} else {
		resp, err := w.CloseWithLMTPResponse()
		var lerr smtp.LMTPDataError
		errors.As(err, &lerr)
		for _, i := range accepted {
			switch {
			case resp[rcpts[i]] != nil:
			case lerr[rcpts[i]] != nil:
				errs[i] = c.wrap("end of DATA", lerr[rcpts[i]], true)
			case err != nil:
				errs[i] = c.wrap("end of DATA", err, false)
			default:
				errs[i] = fmt.Errorf("%s: no LMTP reply for <%s>", c, rcpts[i])
			}
		}
	}
	cl.Quit()
	return errs
}

// wrap names the step and the host; a 5xx reply is permanent where the
// step allows it. The *smtp.SMTPError stays reachable with errors.As (its
// codes go into the bounce).
func (c *SMTP) wrap(step string, err error, mayBePermanent bool) error {
	err = &RemoteError{Relay: c.String(), Step: step, Err: err}
	var se *smtp.SMTPError
	if mayBePermanent && errors.As(err, &se) && se.Code >= 500 && se.Code < 600 {
		return Permanent(err)
	}
	return err
}

// RemoteError is a failure talking to a downstream host.
type RemoteError struct {
	Relay string // host:port or socket
	Step  string // greeting, MAIL FROM, RCPT TO, DATA, end of DATA
	Err   error
}

func (e *RemoteError) Error() string {
	var se *smtp.SMTPError
	if errors.As(e.Err, &se) {
		return fmt.Sprintf("host %s said: %s (in reply to %s)", e.Relay, replyText(se), e.Step)
	}
	return fmt.Sprintf("%s: %s: %v", e.Relay, e.Step, e.Err)
}

func (e *RemoteError) Unwrap() error { return e.Err }

// replyText renders an SMTP reply as the server sent it: "550 5.1.1 text".
func replyText(se *smtp.SMTPError) string {
	s := fmt.Sprintf("%d", se.Code)
	if se.EnhancedCode != (smtp.EnhancedCode{}) && se.EnhancedCode != smtp.NoEnhancedCode {
		s += fmt.Sprintf(" %d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
	}
	if se.Message != "" {
		s += " " + se.Message
	}
	return s
}

func needsUTF8(from string, rcpts []string) bool {
	if !isASCII(from) {
		return true
	}
	for _, r := range rcpts {
		if !isASCII(r) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// NewCourier returns the courier for a configured downstream: smtp://,
// smtps://, lmtp://, lmtp:unix: or maildir:.
func NewCourier(t config.Target, hostname string, timeout time.Duration) (Courier, error) {
	switch t.Scheme {
	case "smtp", "lmtp":
		network := t.Network
		if network == "" {
			network = "tcp"
		}
		return &SMTP{Network: network, Addr: t.Address, LMTP: t.Scheme == "lmtp", TLS: t.TLS, Hostname: hostname, Timeout: timeout}, nil
	case "maildir":
		return &Maildir{Root: t.Address, Hostname: hostname}, nil
	}
	return nil, fmt.Errorf("deliver: no courier for %q targets", t.Scheme)
}
