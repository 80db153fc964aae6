// Package spool is the durable queue on disk. Accepted envelopes and their
// messages are written and fsynced (file and directory) before the SMTP
// client hears 250; an entry is removed only once it was delivered or its
// bounce was itself spooled. Messages arriving together may share one
// fsync (group commit).
package spool

import "time"

// Envelope is what the SMTP session knew about a message.
type Envelope struct {
	From     string    `json:"from"` // "" is the null sender (bounces)
	Rcpts    []string  `json:"rcpts"`
	Received time.Time `json:"received"`
	ClientIP string    `json:"client_ip"`
	Helo     string    `json:"helo"`
	TLS      bool      `json:"tls,omitempty"`
	// Kind is "" for relayed mail, "bounce" for our own DSNs, "draft" for
	// drafted replies.
	Kind string `json:"kind,omitempty"`
}
