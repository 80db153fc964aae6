package smtpd

import (
	"io"
	"net"
	"time"
)

// lineGuard sits between go-smtp's DATA reader and the header rewrite. It
// refuses any line end other than CRLF: go-smtp finds the end of data only
// at <CRLF>.<CRLF> and passes a bare LF or CR through as data, but a
// downstream MTA may read "\n.\n" or "\r.\r\n" as the end and take what
// follows for a new transaction (SMTP smuggling). Refusing the message
// whole is what Postfix's smtpd_forbid_bare_newline does.
//
// It also renews the read deadline on each read, so a large message on a
// slow link is bounded by idleness, not by one deadline set at DATA.
type lineGuard struct {
	r       io.Reader
	conn    func() net.Conn
	timeout time.Duration

	prevCR bool
	n      int64
	err    error // the first error that is not io.EOF
}

func (g *lineGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if g.timeout > 0 && g.conn != nil {
		if c := g.conn(); c != nil {
			c.SetReadDeadline(time.Now().Add(g.timeout))
		}
	}
	// One byte at a time: go-smtp's DATA reader blocks until it has
	// filled the buffer it was given, so a client that ends its data with
	// a bare "\n.\n" and waits would otherwise hear nothing until the
	// timeout. Byte by byte, the bare LF is seen the moment it arrives.
	var n int
	var err error
	for n < len(p) {
		var m int
		m, err = g.r.Read(p[n : n+1])
		if m == 1 {
			c := p[n]
			switch {
			case g.prevCR && c != '\n':
				g.err = errBareCR
			case c == '\n' && !g.prevCR:
				g.err = errBareLF
			}
			if g.err != nil {
				g.n += int64(n)
				return 0, g.err
			}
			g.prevCR = c == '\r'
			n++
		}
		if err != nil {
			break
		}
	}
	g.n += int64(n)
	if err == io.EOF && g.prevCR {
		g.err = errBareCR
		return 0, g.err
	}
	if err != nil && err != io.EOF {
		g.err = err
	}
	return n, err
}
