package smtpd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-smtp"

	"github.com/tradesift/tradesift/filter/headers"
	"github.com/tradesift/tradesift/filter/spool"
)

// session is one SMTP session (go-smtp makes a new one after EHLO and
// after STARTTLS).
type session struct {
	s    *Server
	g    *generation
	conn *smtp.Conn
	ip   string

	from  string
	utf8  bool
	rcpts []string

	rdns     string
	rdnsDone bool
}

func (s *Server) newSession(g *generation, c *smtp.Conn) *session {
	return &session{s: s, g: g, conn: c, ip: clientIP(c.Conn().RemoteAddr())}
}

func (ss *session) tls() bool {
	_, ok := ss.conn.TLSConnectionState()
	return ok
}

func (ss *session) reject(reason string, err *smtp.SMTPError, args ...any) *smtp.SMTPError {
	ss.s.m.rejected.WithLabelValues(reason).Inc()
	ss.s.log.Info("rejected", append([]any{"client", ss.ip, "helo", ss.conn.Hostname(), "reason", reason,
		"reply", err.Code, "from", ss.from}, args...)...)
	return err
}

func (ss *session) Mail(from string, opts *smtp.MailOptions) error {
	if ss.g.cfg.RequireTLS && !ss.tls() {
		return ss.reject("tls_required", errTLSRequired)
	}
	utf8Opt := opts != nil && opts.UTF8
	if err := checkAddress(from, utf8Opt, true); err != nil {
		return ss.reject("bad_address", err, "address", printable(from))
	}
	ss.from, ss.utf8, ss.rcpts = from, utf8Opt, nil
	return nil
}

func (ss *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	if ss.g.cfg.RequireTLS && !ss.tls() {
		return ss.reject("tls_required", errTLSRequired)
	}
	if err := checkAddress(to, ss.utf8, false); err != nil {
		return ss.reject("bad_address", err, "rcpt", printable(to))
	}
	at := strings.LastIndexByte(to, '@')
	local, domain := to[:at], normDomain(to[at+1:])
	// Only our domains, and no address that another MTA could route
	// onwards: the %-hack, bang paths, or an @ hidden in a quoted local
	// part would turn the downstream into a relay for us.
	if !ss.g.domains[domain] || strings.ContainsAny(local, "%!@") {
		return ss.reject("relay_denied", errRelayDenied(to), "rcpt", to)
	}
	// The domain as configured (lower case, no final dot), so delivery
	// and duplicate checks see one spelling; the local part is kept as
	// sent (RFC 5321 §2.4: it may be case-sensitive).
	to = local + "@" + domain
	for _, r := range ss.rcpts {
		if r == to {
			return nil // a duplicate is delivered once, as Postfix's cleanup does
		}
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

// checkAddress refuses what go-smtp's parser lets through but we must not
// carry into the spool and the headers: invalid UTF-8, control
// characters, non-ASCII without SMTPUTF8, over-long addresses.
func checkAddress(addr string, utf8Opt, sender bool) *smtp.SMTPError {
	if sender && addr == "" {
		return nil // the null sender
	}
	if !utf8.ValidString(addr) {
		return errBadAddress(sender, "not valid UTF-8")
	}
	ascii := true
	for _, r := range addr {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return errBadAddress(sender, "control character")
		}
		if r >= 0x80 {
			ascii = false
		}
	}
	if !ascii && !utf8Opt {
		return errNeedUTF8(sender)
	}
	// RFC 5321 §4.5.3.1.3: a path is at most 256 octets.
	if len(addr) > 254 {
		return errBadAddress(sender, "longer than 254 octets")
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return errBadAddress(sender, "needs local-part@domain")
	}
	return nil
}

// printable is addr for a log line.
func printable(addr string) string {
	return strings.ToValidUTF8(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, addr), "?")
}

func (ss *session) Reset() {
	ss.from, ss.utf8, ss.rcpts = "", false, nil
}

func (ss *session) Logout() error { return nil }

// Data streams the message through the header rewrite into the spool and
// returns the reply. The order of the checks matters: a refusal for the
// client's data wins over a spool error, and 250 needs both a clean read to
// the end of data and the spool's success.
func (ss *session) Data(r io.Reader) error {
	ss.s.inData.Add(1)
	defer ss.s.inData.Done()
	start := time.Now()
	cfg := &ss.g.cfg
	id := newID()
	env := spool.Envelope{
		From:     ss.from,
		Rcpts:    append([]string(nil), ss.rcpts...),
		Received: start.UTC(),
		ClientIP: ss.ip,
		Helo:     ss.conn.Hostname(),
		TLS:      ss.tls(),
	}
	tr := headers.Trace{
		Helo:       env.Helo,
		ClientIP:   net.ParseIP(ss.ip),
		ClientName: ss.reverseName(),
		Hostname:   cfg.Hostname,
		ESMTP:      true,
		UTF8:       ss.utf8,
		ID:         id,
		Time:       start,
	}
	if st, ok := ss.conn.TLSConnectionState(); ok {
		tr.TLS = &st
	}
	if len(env.Rcpts) == 1 {
		tr.For = env.Rcpts[0]
	}
	guard := &lineGuard{r: r, conn: ss.conn.Conn, timeout: cfg.ReadTimeout.D()}
	lim := headers.Limits{
		MaxHeaderBytes: int(cfg.MaxHeaderSize),
		MaxFields:      ss.s.opts.MaxHeaderFields,
		MaxLineLength:  cfg.MaxLineLength,
		MaxHops:        ss.s.opts.MaxHops,
	}

	type stored struct {
		id  string
		err error
	}
	pr, pw := io.Pipe()
	done := make(chan stored, 1)
	go func() {
		var res stored
		defer func() {
			if p := recover(); p != nil {
				res = stored{err: errors.New("spool panicked")}
				ss.s.log.Error("spool panic", "panic", p)
			}
			// Unblock the writer whatever Store did with the reader.
			if res.err != nil {
				pr.CloseWithError(res.err)
			} else {
				pr.CloseWithError(errStoreReturned)
			}
			done <- res
		}()
		res.id, res.err = ss.s.sp.Store(env, pr)
	}()
	storeDone := false
	defer func() {
		// A panic below must not leave Store waiting on the pipe (with a
		// temporary file open); go-smtp then answers 421.
		if p := recover(); p != nil {
			if !storeDone {
				pw.CloseWithError(errors.New("smtpd: panic during DATA"))
				<-done
			}
			panic(p)
		}
	}()
	rerr := headers.Rewrite(pw, guard, headers.Received(tr), headers.Owned(ss.authservID()), lim)
	if rerr != nil {
		// Store sees this error instead of EOF and must not commit.
		pw.CloseWithError(rerr)
	} else {
		pw.Close()
	}
	res := <-done
	storeDone = true

	logArgs := []any{"tid", id, "size", guard.n, "rcpts", len(env.Rcpts), "tls", env.TLS, "elapsed", time.Since(start).Round(time.Microsecond)}
	if refusal := ss.refusal(guard, rerr, lim); refusal != nil {
		if res.err == nil {
			// Store broke its contract; the message may still be delivered
			// while the client was told it was refused.
			ss.s.log.Error("spool committed a refused message", "id", res.id, "tid", id)
		}
		return refusal
	}
	if res.err != nil || rerr != nil {
		err := res.err
		if err == nil {
			err = rerr
		}
		ss.s.m.rejected.WithLabelValues("spool_error").Inc()
		ss.s.log.Error("spool failed", append(logArgs, "client", ss.ip, "from", ss.from, "err", err)...)
		return errSpool
	}
	if f := ss.s.opts.OnStored; f != nil {
		f(res.id)
	}
	ss.s.m.accepted.Inc()
	ss.s.m.bytes.Add(float64(guard.n))
	ss.s.m.dataSeconds.Observe(time.Since(start).Seconds())
	ss.s.log.Info("queued", append([]any{"id", res.id, "client", ss.ip, "helo", env.Helo, "from", ss.from}, logArgs...)...)
	// go-smtp writes the code and text of an *SMTPError as is: this is how
	// the 250 carries the queue id, as Postfix's does.
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "OK: queued as " + res.id}
}

var errStoreReturned = errors.New("smtpd: spool stopped reading")

// refusal maps a failure that is the client's (its data, its connection)
// to the reply; nil when the client is not at fault.
func (ss *session) refusal(guard *lineGuard, rerr error, lim headers.Limits) *smtp.SMTPError {
	cfg := &ss.g.cfg
	if err := guard.err; err != nil {
		var se *smtp.SMTPError
		switch {
		case err == errBareLF:
			return ss.hangUp(ss.reject("bare_lf", errBareLF))
		case err == errBareCR:
			return ss.hangUp(ss.reject("bare_cr", errBareCR))
		case errors.Is(err, smtp.ErrTooLongLine):
			// go-smtp's line limit is sticky: it would answer 500 and
			// close anyway. Closing ourselves lingers, so the client can
			// read why.
			return ss.hangUp(ss.reject("line_too_long", errLineTooLong(cfg.MaxLineLength)))
		case errors.As(err, &se) && se.Code == smtp.ErrDataTooLarge.Code:
			return ss.reject("too_big", errTooBig(int64(cfg.MaxMessageSize)))
		case errors.As(err, &se):
			return ss.reject("data_error", se)
		default:
			return ss.reject("data_read", errDataRead, "err", err)
		}
	}
	var le *headers.LimitError
	if errors.As(rerr, &le) {
		switch le.Kind {
		case headers.HeaderSize:
			return ss.reject("header_too_big", errHeaderTooBig(le.Limit))
		case headers.FieldCount:
			return ss.reject("too_many_fields", errTooManyFields(le.Limit))
		case headers.Hops:
			return ss.reject("mail_loop", errTooManyHops(le.Limit))
		default:
			return ss.reject("line_too_long", errLineTooLong(le.Limit))
		}
	}
	return nil
}

// hangUp answers err at once and closes the connection, as Postfix does
// for bare newlines: waiting for a proper <CRLF>.<CRLF> could take until
// the timeout, and whatever the client sent after its own idea of the end
// of data (a smuggled transaction) must never be read as commands. go-smtp
// is blocked in Data meanwhile, so this write does not race with its own;
// its late reply then fails on the closed connection.
func (ss *session) hangUp(err *smtp.SMTPError) *smtp.SMTPError {
	c := ss.conn.Conn()
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "%d %d.%d.%d %s\r\n", err.Code, err.EnhancedCode[0], err.EnhancedCode[1], err.EnhancedCode[2], err.Message)
	lingeringClose(c)
	return err
}

// lingeringClose closes c so that the client can still read our last
// reply: closing a socket with unread input makes the kernel send a reset,
// which can destroy the reply in the client's receive buffer. So: send
// FIN, read and discard what the client still sends (bounded in time and
// size), then close.
func lingeringClose(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		io.CopyN(io.Discard, c, 64<<20)
	}
	c.Close()
}

func (ss *session) authservID() string {
	if id := ss.s.opts.AuthservID; id != "" {
		return id
	}
	return ss.g.cfg.Hostname
}

// reverseName looks up the client's name once per session, bounded.
func (ss *session) reverseName() string {
	if ss.rdnsDone || ss.s.opts.LookupAddr == nil {
		return ss.rdns
	}
	ss.rdnsDone = true
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	names, err := ss.s.opts.LookupAddr(ctx, ss.ip)
	if err == nil && len(names) > 0 {
		ss.rdns = strings.TrimSuffix(names[0], ".")
	}
	return ss.rdns
}

// newID is the transaction id of the Received: field, independent of the
// spool's id (which exists only once the message is stored).
func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}
