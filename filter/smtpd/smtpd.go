// Package smtpd is tradesift's SMTP listener: it accepts mail for the
// configured local domains only (never an open relay), enforces the
// configured limits, refuses bare line ends (SMTP smuggling), rewrites the
// header section on the fly (our Received: on top, forged copies of our own
// headers removed; every other byte unchanged) and streams the message into
// the spool. The client hears 250 only once the spool has the message on
// disk; any failure of ours is a 4xx, so the sender keeps the message.
//
// It is built on github.com/emersion/go-smtp; see errors.go for the traps
// of that library this package designs around.
//
// What a client can hear from us, beyond go-smtp's own syntax errors:
//
//	421 4.7.0  too many connections (in total, or from this IP); closed
//	530 5.7.0  MAIL before STARTTLS when smtp.require_tls is set
//	550 5.7.1  RCPT outside smtp.domains (or %-hack, bang path): relay access denied
//	553 5.1.7 / 5.1.3  sender / recipient not valid UTF-8, or with control characters
//	553 5.6.7  non-ASCII address without SMTPUTF8
//	452 4.5.3  more than smtp.max_recipients (go-smtp)
//	552 5.3.4  message over smtp.max_message_size, header over
//	           smtp.max_header_size, or more than Options.MaxHeaderFields fields
//	554 5.6.0  bare LF or bare CR in the data, or a line over
//	           smtp.max_line_length; then the connection is closed
//	554 5.4.6  more Received: fields than Options.MaxHops (a mail loop)
//	451 4.3.0  the spool could not store the message (disk full, I/O error)
//	451 4.4.2  the connection broke or timed out during DATA
//	250 2.0.0  OK: queued as <spool id> — only once the spool has it on disk
package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/spool"
)

// Spooler stores an accepted message durably.
//
// Store reads r to its end and returns only once the message is on disk
// (fsynced). r is the message after the header rewrite, streamed straight
// from the client. When reading r fails — the client sent a bare LF, the
// message is too big, the connection broke — Store must discard what it
// wrote and return an error: it must never commit a message whose reader
// did not end in io.EOF, since the client is told the message was refused.
type Spooler interface {
	Store(env spool.Envelope, r io.Reader) (id string, err error)
}

// Options are what the listener needs besides its configuration.
type Options struct {
	Logger *slog.Logger
	// Registry receives the listener's metrics; nil registers none.
	Registry prometheus.Registerer
	// AuthservID names us in Authentication-Results (RFC 8601); incoming
	// fields with it are removed. Default: the configured hostname.
	AuthservID string
	// OnStored is called after a message was stored and before the 250 is
	// sent (the daemon kicks its delivery queue). It must not block long.
	OnStored func(id string)
	// LookupAddr resolves the client's name for the Received: field; nil
	// writes "unknown", as Postfix does without reverse DNS.
	LookupAddr func(ctx context.Context, addr string) ([]string, error)
	// MaxHeaderFields bounds the number of header fields; default 1000.
	MaxHeaderFields int
	// MaxHops bounds the Received: fields of a message (a mail loop);
	// default 50, Postfix's hopcount_limit.
	MaxHops int
}

// Server is the SMTP listener. It is safe for concurrent use.
type Server struct {
	sp   Spooler
	opts Options
	log  *slog.Logger
	m    *metrics
	lim  limiter

	mu        sync.Mutex
	cur       *generation
	gens      map[*generation]struct{} // cur and those still finishing
	listeners []net.Listener
	conns     map[*countedConn]struct{}
	closed    bool
	wg        sync.WaitGroup // Serve loops
	inData    sync.WaitGroup // Data calls, so that no Store runs after Close
	refusing  atomic.Int32   // 421 replies being written
}

// maxRefusing bounds the goroutines answering 421 to refused connections.
const maxRefusing = 256

// generation is one configuration and the go-smtp Server built from it.
// Connections keep the generation they were accepted under.
type generation struct {
	cfg     config.SMTP
	domains map[string]bool
	srv     *smtp.Server
	ln      *chanListener
	served  bool
}

// New builds a listener for cfg; Serve starts it.
func New(cfg config.SMTP, sp Spooler, opts Options) (*Server, error) {
	if sp == nil {
		return nil, errors.New("smtpd: no spooler")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxHeaderFields <= 0 {
		opts.MaxHeaderFields = 1000
	}
	if opts.MaxHops <= 0 {
		opts.MaxHops = 50
	}
	s := &Server{sp: sp, opts: opts, log: opts.Logger, gens: map[*generation]struct{}{}, conns: map[*countedConn]struct{}{}}
	s.m = newMetrics(s.lim.open)
	if opts.Registry != nil {
		if err := s.m.register(opts.Registry); err != nil {
			return nil, fmt.Errorf("smtpd: metrics: %w", err)
		}
	}
	g, err := s.newGeneration(cfg)
	if err != nil {
		return nil, err
	}
	s.cur = g
	s.gens[g] = struct{}{}
	return s, nil
}

func (s *Server) newGeneration(cfg config.SMTP) (*generation, error) {
	if len(cfg.Domains) == 0 {
		return nil, errors.New("smtpd: no local domains configured (refusing to run as an open relay)")
	}
	g := &generation{cfg: cfg, domains: map[string]bool{}}
	for _, d := range cfg.Domains {
		g.domains[normDomain(d)] = true
	}
	var tlsConf *tls.Config
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("smtpd: TLS certificate: %w", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	} else if cfg.RequireTLS {
		return nil, errors.New("smtpd: require_tls needs tls_cert and tls_key")
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return s.newSession(g, c), nil
	}))
	srv.Domain = cfg.Hostname
	srv.MaxMessageBytes = int64(cfg.MaxMessageSize)
	srv.MaxRecipients = cfg.MaxRecipients
	srv.MaxLineLength = cfg.MaxLineLength
	srv.ReadTimeout = cfg.ReadTimeout.D()
	srv.WriteTimeout = cfg.WriteTimeout.D()
	srv.TLSConfig = tlsConf
	srv.EnableSMTPUTF8 = true
	// No BINARYMIME: binary data has bare line ends by design. No DSN,
	// REQUIRETLS: we cannot promise them for the downstream hop.
	srv.ErrorLog = slogPrintf{s.log}
	g.srv = srv
	return g, nil
}

// Serve accepts connections on ln until Close or Shutdown; it returns nil
// then, or the listener's error. It may be called for several listeners.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return smtp.ErrServerClosed
	}
	s.listeners = append(s.listeners, ln)
	s.startLocked(s.cur, ln.Addr())
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return nil
			}
			if isTemporary(err) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("accept error", "err", err, "retry_in", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		s.admit(c)
	}
}

// startLocked starts g's go-smtp Server on its channel listener once.
func (s *Server) startLocked(g *generation, addr net.Addr) {
	if g.served {
		return
	}
	g.served = true
	g.ln = newChanListener(addr)
	go g.srv.Serve(g.ln)
}

func (s *Server) admit(c net.Conn) {
	ip := clientIP(c.RemoteAddr())
	s.mu.Lock()
	g := s.cur
	s.mu.Unlock()
	ok, reason := s.lim.acquire(ip, g.cfg.MaxConnections, g.cfg.MaxConnectionsPerIP)
	if !ok {
		s.m.connections.WithLabelValues(reason).Inc()
		s.m.rejected.WithLabelValues(reason).Inc()
		s.log.Warn("connection refused", "client", ip, "reason", reason)
		why := "Error: too many connections"
		if reason == "connection_limit_ip" {
			why = "Error: too many connections from " + ip
		}
		// Each refusal lingers up to 5s; under a flood, drop without a word.
		if s.refusing.Add(1) > maxRefusing {
			s.refusing.Add(-1)
			c.Close()
			return
		}
		go func() {
			defer s.refusing.Add(-1)
			refuse(c, g.cfg.Hostname, why)
		}()
		return
	}
	s.m.connections.WithLabelValues("accepted").Inc()
	cc := &countedConn{Conn: c}
	cc.release = func() {
		s.lim.release(ip)
		s.mu.Lock()
		delete(s.conns, cc)
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.conns[cc] = struct{}{}
	s.mu.Unlock()
	for {
		s.mu.Lock()
		g, closed := s.cur, s.closed
		if !closed {
			s.startLocked(g, c.LocalAddr())
		}
		s.mu.Unlock()
		if closed {
			cc.Close()
			return
		}
		if g.ln.deliver(cc) {
			return
		}
		// A reload closed g's listener in between; try the new one.
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// SetConfig applies a new [smtp] section (SIGHUP): limits, domains, TLS
// certificate, timeouts. Connections already open finish under the
// configuration they started with; new ones get cfg. The listening address
// is not changed here. On error the old configuration stays.
func (s *Server) SetConfig(cfg config.SMTP) error {
	g, err := s.newGeneration(cfg)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return smtp.ErrServerClosed
	}
	old := s.cur
	s.cur = g
	s.gens[g] = struct{}{}
	if len(s.listeners) > 0 {
		s.startLocked(g, s.listeners[0].Addr())
	}
	s.mu.Unlock()
	s.retire(old)
	s.log.Info("smtp configuration reloaded", "domains", strings.Join(cfg.Domains, ","))
	return nil
}

// retire lets old's connections finish, then forgets it.
func (s *Server) retire(old *generation) {
	go func() {
		s.mu.Lock()
		if old.ln != nil {
			old.ln.Close()
		}
		s.mu.Unlock()
		old.srv.Shutdown(context.Background())
		s.mu.Lock()
		delete(s.gens, old)
		s.mu.Unlock()
	}()
}

// Close stops listening and closes every connection at once; a message in
// DATA is not stored (its client was not answered 250 and will retry).
// It returns once no Store call of ours is running, so the spool can be
// closed after it.
func (s *Server) Close() error {
	gens, err := s.stop()
	for _, g := range gens {
		g.srv.Close()
	}
	s.closeConns()
	s.inData.Wait()
	return err
}

// closeConns closes every connection at the socket. go-smtp's Close does
// nothing once its Shutdown has begun, so we keep our own list.
func (s *Server) closeConns() {
	s.mu.Lock()
	conns := make([]*countedConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// Shutdown stops listening and waits for the open sessions to end (clients
// QUIT or time out) until ctx is done; then it closes the rest. Either way
// it returns once no Store call of ours is running.
func (s *Server) Shutdown(ctx context.Context) error {
	gens, err := s.stop()
	for _, g := range gens {
		// Marks go-smtp's server done; it does not touch open sessions.
		go g.srv.Shutdown(context.Background())
	}
	// Our own count of connections covers every generation, also those
	// of earlier configurations still finishing.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for s.openConns() > 0 {
		select {
		case <-ctx.Done():
			s.closeConns()
			s.inData.Wait()
			return ctx.Err()
		case <-tick.C:
		}
	}
	s.inData.Wait()
	return err
}

func (s *Server) openConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Server) stop() ([]*generation, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, smtp.ErrServerClosed
	}
	s.closed = true
	var err error
	for _, ln := range s.listeners {
		if e := ln.Close(); e != nil && err == nil {
			err = e
		}
	}
	var gens []*generation
	for g := range s.gens {
		gens = append(gens, g)
		if g.ln != nil {
			g.ln.Close()
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
	return gens, err
}

// slogPrintf adapts go-smtp's internal error log to slog.
type slogPrintf struct{ log *slog.Logger }

func (l slogPrintf) Printf(format string, v ...any) {
	l.log.Warn("smtp: " + strings.TrimSpace(fmt.Sprintf(format, v...)))
}

func (l slogPrintf) Println(v ...any) {
	l.log.Warn("smtp: " + strings.TrimSpace(fmt.Sprintln(v...)))
}

func normDomain(d string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
}
