// Package decode turns a raw RFC 5322 message into what the classifier
// reads: decoded headers, the sender's new text in UTF-8 (quoted earlier
// messages and signature blocks set apart), and a list of attachments.
// Reading is bounded, so a 25 MB attachment costs no more than a small mail,
// and broken input yields a Message with Problems, never a panic.
package decode

import (
	"time"

	"github.com/emersion/go-message/textproto"
)

// Address is a decoded mailbox. Addr is lower-cased in its domain part.
type Address struct {
	Name string
	Addr string
}

// Domain returns the lower-cased domain of the address, or "".
func (a Address) Domain() string {
	for i := len(a.Addr) - 1; i >= 0; i-- {
		if a.Addr[i] == '@' {
			return a.Addr[i+1:]
		}
	}
	return ""
}

// Attachment is a non-text part, listed but not decoded.
type Attachment struct {
	Filename    string
	ContentType string // media type, lower case, e.g. "application/pdf"
	Size        int64  // encoded size in bytes, as read (bounded)
}

// Message is the decoded view of one mail.
type Message struct {
	// Header is the raw top-level header, for fields not decoded below
	// (X-Mailer, Received, DKIM-Signature, ...).
	Header textproto.Header

	Subject    string // decoded (RFC 2047), UTF-8
	From       Address
	ReplyTo    []Address
	To         []Address
	Cc         []Address
	ReturnPath string // address in Return-Path, if present

	// Date is the Date header with its original zone; HasDate is false when
	// it was missing or unparseable.
	Date    time.Time
	HasDate bool

	MessageID  string   // without angle brackets
	InReplyTo  []string // without angle brackets
	References []string // without angle brackets

	// MediaType is the top-level media type, e.g. "multipart/alternative".
	MediaType string
	// Parts lists the media types of all leaf parts in order.
	Parts []string
	// Charsets lists the declared charsets of text parts, lower case,
	// without duplicates.
	Charsets []string

	// Text is the new text the sender wrote, UTF-8, with HTML turned into
	// text; quoted earlier messages and the signature block are not in it.
	Text string
	// Signature is the signature block split off the new text.
	Signature string
	// Quoted is the quoted or forwarded earlier text.
	Quoted string

	Attachments []Attachment

	// Problems are stable tokens saying what was wrong with the input,
	// e.g. "unknown-charset", "malformed-mime", "truncated", "empty-body",
	// "too-deep", "bad-header-encoding". They go into X-Buyer-Signals.
	Problems []string
}
