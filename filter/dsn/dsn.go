// Package dsn builds delivery status notifications: the bounce a relay
// sends to the envelope sender when it gives up on recipients (RFC 3464,
// multipart/report of RFC 6522 with report-type=delivery-status, status
// codes of RFC 3463).
package dsn

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"strings"
	"time"
)

// Recipient is one recipient the report is about.
type Recipient struct {
	Addr string
	// Action is "failed" (the default) or "delayed" (RFC 3464 2.3.3).
	Action string
	// Status is the RFC 3463 code, e.g. "5.1.1"; "" becomes 5.0.0 for
	// failed and 4.0.0 for delayed.
	Status string
	// RemoteMTA is the host that gave the diagnostic, if any.
	RemoteMTA string
	// Diagnostic is "type; text", e.g. "smtp; 550 5.1.1 no such user".
	Diagnostic  string
	LastAttempt time.Time
}

// Message is what a report needs.
type Message struct {
	// ReportingMTA is our host name (Reporting-MTA: dns; ...).
	ReportingMTA string
	// From is the bounce's From: header (e.g. MAILER-DAEMON@host); the
	// envelope sender of a bounce is always null.
	From string
	// To is the original envelope sender, who gets the report.
	To string
	// QueueID is our id of the original message (X-Postfix-Queue-ID
	// style, as an extension field).
	QueueID string
	Arrival time.Time
	Date    time.Time
	Rcpts   []Recipient
	// Header is the original header section (without the blank line),
	// returned as text/rfc822-headers.
	Header []byte
}

// Build renders the report as a complete message with CRLF line endings.
func Build(m Message) []byte {
	if m.Date.IsZero() {
		m.Date = time.Now()
	}
	boundary := randomToken() + "/" + m.ReportingMTA
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", fmt.Sprintf("Mail Delivery System <%s>", m.From))
	hdr("To", "<"+m.To+">")
	hdr("Subject", "Undelivered Mail Returned to Sender")
	hdr("Date", m.Date.Format(time.RFC1123Z))
	hdr("Message-ID", fmt.Sprintf("<%s.%s@%s>", m.QueueID, randomToken(), m.ReportingMTA))
	hdr("Auto-Submitted", "auto-replied")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", mime.FormatMediaType("multipart/report", map[string]string{"report-type": "delivery-status", "boundary": boundary}))
	b.WriteString("\r\nThis is a MIME-encapsulated message.\r\n\r\n")

	// Human-readable part.
	fmt.Fprintf(&b, "--%s\r\n", boundary)
	b.WriteString("Content-Description: Notification\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	fmt.Fprintf(&b, "This is the mail system at host %s.\r\n\r\n", m.ReportingMTA)
	b.WriteString("I'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients.\r\n\r\n")
	for _, r := range m.Rcpts {
		fmt.Fprintf(&b, "<%s>: %s\r\n", r.Addr, oneLine(diagText(r)))
	}
	b.WriteString("\r\n")

	// Machine-readable part.
	fmt.Fprintf(&b, "--%s\r\n", boundary)
	b.WriteString("Content-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n")
	fmt.Fprintf(&b, "Reporting-MTA: dns; %s\r\n", m.ReportingMTA)
	if m.QueueID != "" {
		fmt.Fprintf(&b, "X-Tradesift-Queue-ID: %s\r\n", m.QueueID)
	}
	if !m.Arrival.IsZero() {
		fmt.Fprintf(&b, "Arrival-Date: %s\r\n", m.Arrival.Format(time.RFC1123Z))
	}
	for _, r := range m.Rcpts {
		b.WriteString("\r\n")
		action := r.Action
		if action == "" {
			action = "failed"
		}
		status := r.Status
		if status == "" {
			status = "5.0.0"
			if action == "delayed" {
				status = "4.0.0"
			}
		}
		fmt.Fprintf(&b, "Final-Recipient: rfc822; %s\r\n", r.Addr)
		fmt.Fprintf(&b, "Action: %s\r\n", action)
		fmt.Fprintf(&b, "Status: %s\r\n", status)
		if r.RemoteMTA != "" {
			fmt.Fprintf(&b, "Remote-MTA: dns; %s\r\n", oneLine(r.RemoteMTA))
		}
		if r.Diagnostic != "" {
			fmt.Fprintf(&b, "Diagnostic-Code: %s\r\n", oneLine(r.Diagnostic))
		}
		if !r.LastAttempt.IsZero() {
			fmt.Fprintf(&b, "Last-Attempt-Date: %s\r\n", r.LastAttempt.Format(time.RFC1123Z))
		}
	}
	b.WriteString("\r\n")

	// The original header section.
	fmt.Fprintf(&b, "--%s\r\n", boundary)
	b.WriteString("Content-Description: Undelivered Message Headers\r\nContent-Type: text/rfc822-headers\r\n\r\n")
	h := bytes.TrimRight(m.Header, "\r\n")
	h = bytes.ReplaceAll(h, []byte("\r\n"), []byte("\n"))
	h = bytes.ReplaceAll(h, []byte("\n"), []byte("\r\n"))
	b.Write(h)
	b.WriteString("\r\n\r\n")
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes()
}

func diagText(r Recipient) string {
	d := r.Diagnostic
	if _, text, ok := strings.Cut(d, ";"); ok {
		d = strings.TrimSpace(text)
	}
	if d == "" {
		d = "delivery failed (" + r.Status + ")"
	}
	if r.RemoteMTA != "" {
		d = "host " + r.RemoteMTA + " said: " + d
	}
	return d
}

// oneLine keeps a field on one line and printable, so a remote server's
// multi-line reply cannot inject fields.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == '\t' {
			return ' '
		}
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > 900 {
		s = s[:900]
	}
	return s
}

func randomToken() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// HeaderSection returns the header section of a message (up to, not
// including, the blank line), at most max bytes; for the text/rfc822-headers
// part.
func HeaderSection(msg []byte, max int) []byte {
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		msg = msg[:i+2]
	} else if i := bytes.Index(msg, []byte("\n\n")); i >= 0 {
		msg = msg[:i+1]
	}
	if len(msg) > max {
		msg = msg[:max]
		if i := bytes.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i+1]
		}
	}
	return msg
}
