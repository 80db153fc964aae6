package deliver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
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
	TLS bool
	// StartTLS, on a plain connection: "may" uses STARTTLS when the
	// downstream offers it, "encrypt" requires it (a downstream without
	// it is a temporary failure), neither checking the certificate;
	// "verify" requires it and checks the certificate with TLSConfig;
	// "" or "none" never uses it.
	StartTLS  string
	TLSConfig *tls.Config
	// Hostname is sent in EHLO/LHLO.
	Hostname string
	// Timeout bounds the connection and each command.
	Timeout time.Duration
	// MaxIdle connections are kept open after a delivery for the next one,
	// for at most IdleTimeout (default 2s, as Postfix's
	// smtp_connection_cache_time_limit). 0 means one connection per
	// message.
	MaxIdle     int
	IdleTimeout time.Duration

	mu         sync.Mutex
	idle       []*conn
	closed     bool
	noStartTLS atomic.Bool // "may" met a downstream without STARTTLS
}

func (c *SMTP) String() string {
	if c.Network == "unix" {
		return "unix:" + c.Addr
	}
	return c.Addr
}

// copyBufs are the buffers of message copies, pooled: a 32 KiB buffer
// per delivery is garbage the collector pays for.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// Sizer is implemented by message readers that know their length; the SMTP
// courier then announces SIZE= in MAIL FROM (RFC 1870).
type Sizer interface{ Size() int64 }

// Deliver implements Courier. For LMTP the DATA reply is per recipient.
func (c *SMTP) Deliver(ctx context.Context, from string, rcpts []string, msg io.Reader) []error {
	errs := make([]error, len(rcpts))
	for fresh := false; ; fresh = true {
		s, reused, stop, err := c.session(ctx, fresh)
		if err != nil {
			for i := range errs {
				errs[i] = err
			}
			return errs
		}
		healthy, mailFailed := c.transact(s.cl, from, rcpts, msg, errs)
		if stop() && healthy && c.MaxIdle > 0 {
			c.put(s)
			return errs
		}
		if healthy {
			s.cl.Quit()
		}
		s.cl.Close()
		if !(reused && mailFailed) {
			return errs
		}
		// The cached connection was dead (the server closed it while
		// idle): nothing was sent, try once on a new one.
		clear(errs)
	}
}

// transact runs MAIL, RCPT and DATA, filling errs; it reports whether the
// connection is still fit for another transaction, and whether MAIL failed
// without an SMTP reply (a dead connection; nothing was sent).
func (c *SMTP) transact(cl *smtp.Client, from string, rcpts []string, msg io.Reader, errs []error) (healthy, mailFailed bool) {
	healthy = true
	all := func(err error) {
		var se *smtp.SMTPError
		if err != nil && !errors.As(err, &se) {
			healthy = false // network or protocol trouble
		}
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	opts := &smtp.MailOptions{}
	if s, ok := msg.(Sizer); ok {
		opts.Size = s.Size()
	}
	if needsUTF8(from, rcpts) {
		if ok, _ := cl.Extension("SMTPUTF8"); !ok {
			all(Permanent(&RemoteError{Relay: c.String(), Step: "MAIL FROM", Err: errors.New("server does not support SMTPUTF8, needed for a non-ASCII address (5.6.7)")}))
			return true, false
		}
		opts.UTF8 = true
	}
	if err := cl.Mail(from, opts); err != nil {
		all(c.wrap("MAIL FROM", err, true))
		return healthy, !healthy
	}
	var accepted []int
	for i, to := range rcpts {
		if err := cl.Rcpt(to, nil); err != nil {
			var se *smtp.SMTPError
			if !errors.As(err, &se) {
				all(c.wrap("RCPT TO", err, false))
				return false, false
			}
			errs[i] = c.wrap("RCPT TO", err, true)
			continue
		}
		accepted = append(accepted, i)
	}
	if len(accepted) == 0 {
		return cl.Reset() == nil, false
	}
	w, err := cl.Data()
	if err != nil {
		all(c.wrap("DATA", err, true))
		return healthy, false
	}
	buf := copyBufs.Get().(*[]byte)
	_, err = io.CopyBuffer(w, msg, *buf)
	copyBufs.Put(buf)
	if err != nil {
		all(c.wrap("DATA", err, false))
		return false, false
	}
	if !c.LMTP {
		if err := w.Close(); err != nil {
			all(c.wrap("end of DATA", err, true))
		}
		return healthy, false
	}
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
			healthy = false
		default:
			errs[i] = fmt.Errorf("%s: no LMTP reply for <%s>", c, rcpts[i])
			healthy = false
		}
	}
	return healthy, false
}

// conn is one open SMTP/LMTP session past EHLO.
type conn struct {
	nc        net.Conn
	cl        *smtp.Client
	idleSince time.Time
}

// session returns a connection ready for MAIL: an idle one (unless fresh)
// or a new one. stop ends the watch that closes the connection when ctx
// ends; it returns false if that already happened.
func (c *SMTP) session(ctx context.Context, fresh bool) (s *conn, reused bool, stop func() bool, err error) {
	if !fresh {
		if s = c.take(); s != nil {
			nc := s.nc
			return s, true, context.AfterFunc(ctx, func() { nc.Close() }), nil
		}
	}
	timeout := c.timeout()
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, c.Network, c.Addr)
	if err != nil {
		return nil, false, nil, fmt.Errorf("connect to %s: %w", c, err)
	}
	if c.TLS {
		cfg := c.TLSConfig
		if cfg == nil {
			host, _, _ := net.SplitHostPort(c.Addr)
			cfg = &tls.Config{ServerName: host}
		}
		nc = tls.Client(nc, cfg)
	}
	// Cancelling ctx (Stop, attempt timeout) unblocks any read or write.
	stop = context.AfterFunc(ctx, func() { nc.Close() })
	s = &conn{nc: nc}
	switch {
	case c.LMTP:
		s.cl = smtp.NewClientLMTP(nc)
	case c.wantsStartTLS():
		// go-smtp's STARTTLS greets with EHLO localhost first; the EHLO
		// below, over TLS, gives our name.
		cl, err := smtp.NewClientStartTLS(nc, c.startTLSConfig())
		if err != nil {
			stop()
			nc.Close()
			// go-smtp's own words when the EHLO reply has no STARTTLS.
			if c.StartTLS == "may" && strings.Contains(err.Error(), "doesn't support STARTTLS") {
				c.noStartTLS.Store(true) // not offered: plain from now on
				return c.session(ctx, true)
			}
			return nil, false, nil, c.wrap(fmt.Sprintf("STARTTLS ([delivery] tls = %q)", c.StartTLS), err, false)
		}
		s.cl = cl
	default:
		s.cl = smtp.NewClient(nc)
	}
	s.cl.CommandTimeout = timeout
	s.cl.SubmissionTimeout = timeout
	hostname := c.Hostname
	if hostname == "" {
		hostname = "localhost"
	}
	if err := s.cl.Hello(hostname); err != nil {
		stop()
		s.cl.Close()
		return nil, false, nil, c.wrap("greeting", err, false)
	}
	return s, false, stop, nil
}

// wantsStartTLS tells whether a new plain connection is upgraded.
func (c *SMTP) wantsStartTLS() bool {
	switch c.StartTLS {
	case "may":
		return !c.noStartTLS.Load()
	case "encrypt", "verify":
		return true
	}
	return false
}

func (c *SMTP) startTLSConfig() *tls.Config {
	if c.StartTLS == "verify" {
		if c.TLSConfig != nil {
			return c.TLSConfig
		}
		host, _, _ := net.SplitHostPort(c.Addr)
		return &tls.Config{ServerName: host}
	}
	// may, encrypt: encrypted but unauthenticated, as Postfix's levels.
	return &tls.Config{InsecureSkipVerify: true}
}

func (c *SMTP) timeout() time.Duration {
	if c.Timeout <= 0 {
		return 2 * time.Minute
	}
	return c.Timeout
}

func (c *SMTP) idleTimeout() time.Duration {
	if c.IdleTimeout <= 0 {
		return 2 * time.Second
	}
	return c.IdleTimeout
}

// take returns the most recently used idle connection, nil if none.
func (c *SMTP) take() *conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.idle) > 0 {
		s := c.idle[len(c.idle)-1]
		c.idle = c.idle[:len(c.idle)-1]
		if time.Since(s.idleSince) < c.idleTimeout() {
			return s
		}
		go s.cl.Quit()
	}
	return nil
}

func (c *SMTP) put(s *conn) {
	s.idleSince = time.Now()
	c.mu.Lock()
	if c.closed || len(c.idle) >= c.MaxIdle {
		c.mu.Unlock()
		s.cl.Quit()
		s.cl.Close()
		return
	}
	c.idle = append(c.idle, s)
	c.mu.Unlock()
	time.AfterFunc(c.idleTimeout(), c.expire)
}

// expire closes connections idle for longer than IdleTimeout.
func (c *SMTP) expire() {
	c.mu.Lock()
	var old []*conn
	keep := c.idle[:0]
	for _, s := range c.idle {
		if time.Since(s.idleSince) >= c.idleTimeout() {
			old = append(old, s)
		} else {
			keep = append(keep, s)
		}
	}
	c.idle = keep
	c.mu.Unlock()
	for _, s := range old {
		s.cl.Quit()
		s.cl.Close()
	}
}

// Close says QUIT on the idle connections; later deliveries do not cache.
func (c *SMTP) Close() error {
	c.mu.Lock()
	idle := c.idle
	c.idle, c.closed = nil, true
	c.mu.Unlock()
	for _, s := range idle {
		s.cl.Quit()
		s.cl.Close()
	}
	return nil
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
func NewCourier(t config.Target, o CourierOptions) (Courier, error) {
	switch t.Scheme {
	case "smtp", "lmtp":
		network := t.Network
		if network == "" {
			network = "tcp"
		}
		c := &SMTP{Network: network, Addr: t.Address, LMTP: t.Scheme == "lmtp", TLS: t.TLS, Hostname: o.Hostname, Timeout: o.Timeout, MaxIdle: 32}
		if !t.TLS && network == "tcp" {
			c.StartTLS = o.StartTLS
		}
		if o.StartTLS == "verify" || t.TLS {
			host, _, _ := net.SplitHostPort(t.Address)
			c.TLSConfig = &tls.Config{ServerName: host, RootCAs: o.RootCAs}
		}
		return c, nil
	case "maildir":
		return NewMaildir(t.Address, o.Hostname, o.SyncFS), nil
	}
	return nil, fmt.Errorf("deliver: no courier for %q targets", t.Scheme)
}

// CourierOptions are the settings NewCourier passes on.
type CourierOptions struct {
	Hostname string        // ours, in EHLO and Maildir file names
	Timeout  time.Duration // of one attempt
	SyncFS   bool          // Maildir: shared syncfs calls (see NewMaildir)
	// StartTLS is the TLS level towards an smtp:// or lmtp:// (tcp)
	// downstream: "", "none", "may", "encrypt" or "verify" (see SMTP).
	StartTLS string
	// RootCAs verify the downstream's certificate; nil: the system's.
	RootCAs *x509.CertPool
}
