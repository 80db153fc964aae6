package smtpd

import (
	"errors"
	"net"
	"sync"
	"time"
)

// chanListener hands accepted connections to one go-smtp Server. Our own
// accept loop (Server.Serve) enforces the connection limits and feeds the
// current generation's chanListener; a reload swaps the generation without
// touching the real listening socket or the connections in progress.
type chanListener struct {
	addr net.Addr
	ch   chan net.Conn
	once sync.Once
	done chan struct{}
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// deliver passes c to the go-smtp Server; false when the listener was
// closed first (the caller tries the next generation).
func (l *chanListener) deliver(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }

// countedConn gives its slot back to the limiter when closed (go-smtp
// closes it; after STARTTLS through the tls.Conn that wraps it).
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

// CloseWrite half-closes when the connection can (TCP), for a lingering
// close after a final reply.
func (c *countedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

func (c *countedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// limiter counts open connections, in total and per client IP.
type limiter struct {
	mu    sync.Mutex
	total int
	perIP map[string]int
}

// acquire takes a slot for ip, or says which limit is reached.
func (l *limiter) acquire(ip string, maxTotal, maxPerIP int) (ok bool, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if maxTotal > 0 && l.total >= maxTotal {
		return false, "connection_limit"
	}
	if maxPerIP > 0 && l.perIP[ip] >= maxPerIP {
		return false, "connection_limit_ip"
	}
	if l.perIP == nil {
		l.perIP = map[string]int{}
	}
	l.total++
	l.perIP[ip]++
	return true, ""
}

func (l *limiter) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
	}
}

func (l *limiter) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// clientIP is the address part of a connection's remote address.
func clientIP(a net.Addr) string {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP.String()
	case nil:
		return "unknown"
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// refuse answers 421 before the greeting and closes: RFC 5321 §3.1 lets a
// server refuse a session this way, and clients retry later.
func refuse(c net.Conn, hostname, why string) {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte("421 4.7.0 " + hostname + " " + why + ", try again later\r\n"))
	lingeringClose(c)
}

func isTemporary(err error) bool {
	var ne interface{ Temporary() bool }
	return errors.As(err, &ne) && ne.Temporary()
}
