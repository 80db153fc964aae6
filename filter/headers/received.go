package headers

import (
	"crypto/tls"
	"net"
	"strings"
	"time"
)

// Trace is what the Received: field of one message records.
type Trace struct {
	Helo       string // the client's HELO/EHLO argument
	ClientIP   net.IP
	ClientName string // reverse DNS name, verified or not; "" is "unknown"
	Hostname   string // our name (smtp.hostname)
	ESMTP      bool   // EHLO rather than HELO
	UTF8       bool   // MAIL FROM ... SMTPUTF8 (RFC 6531 §4.3)
	TLS        *tls.ConnectionState
	ID         string // an id of this transaction, for log correlation
	// For is the recipient, written only when there is exactly one (as
	// Postfix does, so Bcc recipients are not disclosed).
	For  string
	Time time.Time
}

// Received returns the Received: field (RFC 5321 §4.4, RFC 5322 §3.6.7) in
// Postfix's layout, folded and CRLF-terminated:
//
//	Received: from HELO (NAME [IP])
//		(using TLSv1.3 with cipher TLS_AES_128_GCM_SHA256)
//		by HOSTNAME (tradesift) with ESMTPS id ID
//		for <RCPT>; Fri, 27 Nov 2026 03:24:29 +0000 (UTC)
//
// Client-supplied parts are reduced to printable characters, so nothing a
// client sends can end the field early or inject another one.
func Received(t Trace) []byte {
	var b strings.Builder
	b.Grow(256)
	b.WriteString("Received: from ")
	b.WriteString(clean(t.Helo, 255, "unknown", "()<>;\\"))
	b.WriteString(" (")
	b.WriteString(clean(t.ClientName, 255, "unknown", "()[]<>;\\"))
	b.WriteString(" [")
	b.WriteString(addrLiteral(t.ClientIP))
	b.WriteString("])\r\n")
	if t.TLS != nil {
		b.WriteString("\t(using ")
		// Postfix's spelling, which log readers and parsers expect.
		b.WriteString(strings.Replace(tls.VersionName(t.TLS.Version), "TLS ", "TLSv", 1))
		b.WriteString(" with cipher ")
		b.WriteString(tls.CipherSuiteName(t.TLS.CipherSuite))
		b.WriteString(")\r\n")
	}
	b.WriteString("\tby ")
	b.WriteString(clean(t.Hostname, 255, "localhost", "()[]<>;\\"))
	b.WriteString(" (tradesift) with ")
	b.WriteString(Protocol(t.ESMTP, t.UTF8, t.TLS != nil))
	if t.ID != "" {
		b.WriteString(" id ")
		b.WriteString(clean(t.ID, 64, "unknown", "()[]<>;\\"))
	}
	if t.For != "" {
		b.WriteString("\r\n\tfor <")
		b.WriteString(clean(t.For, 512, "", "<>;\\"))
		b.WriteString(">")
	}
	b.WriteString("; ")
	tm := t.Time
	if tm.IsZero() {
		tm = time.Now()
	}
	b.WriteString(tm.Format("Mon, 02 Jan 2006 15:04:05 -0700 (MST)"))
	b.WriteString("\r\n")
	return []byte(b.String())
}

// Protocol is the "with" keyword of RFC 3848 and RFC 6531 §4.3: SMTP,
// ESMTP, ESMTPS, UTF8SMTP, UTF8SMTPS.
func Protocol(esmtp, utf8, secure bool) string {
	p := "SMTP"
	switch {
	case utf8:
		p = "UTF8SMTP"
	case esmtp:
		p = "ESMTP"
	}
	if secure && p != "SMTP" {
		p += "S"
	}
	return p
}

// addrLiteral writes ip as in RFC 5321 §4.1.3, without the brackets.
func addrLiteral(ip net.IP) string {
	if ip == nil {
		return "unknown"
	}
	if ip.To4() == nil {
		return "IPv6:" + ip.String()
	}
	return ip.String()
}

// clean keeps printable ASCII and UTF-8 letters, replaces anything else
// (control characters, invalid UTF-8, and the characters of bad that would
// close the comment or address they sit in) with '?', and cuts at max bytes.
func clean(s string, max int, empty, bad string) string {
	if s == "" {
		return empty
	}
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= max {
			break
		}
		switch {
		case r == 0xFFFD, r < 0x21, r == 0x7f, r >= 0x80 && r < 0xA0:
			b.WriteByte('?')
		case strings.ContainsRune(bad, r):
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
