package config

import (
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// SMTP is the [smtp] section: the listener.
type SMTP struct {
	Listen   string   `toml:"listen"`
	Hostname string   `toml:"hostname"`
	Domains  []string `toml:"domains"`

	MaxMessageSize      Size     `toml:"max_message_size"`
	MaxRecipients       int      `toml:"max_recipients"`
	MaxLineLength       int      `toml:"max_line_length"`
	MaxHeaderSize       Size     `toml:"max_header_size"`
	ReadTimeout         Duration `toml:"read_timeout"`
	WriteTimeout        Duration `toml:"write_timeout"`
	MaxConnections      int      `toml:"max_connections"`
	MaxConnectionsPerIP int      `toml:"max_connections_per_ip"`

	TLSCert    string `toml:"tls_cert"`
	TLSKey     string `toml:"tls_key"`
	RequireTLS bool   `toml:"require_tls"`

	// ReverseDNS names the client in the Received: field by its
	// forward-confirmed reverse DNS name (PTR, then A/AAAA back to the
	// address), asked of [dns] resolver once per connection; "unknown"
	// when that fails. Off: always "unknown" (no DNS at connect time).
	ReverseDNS bool `toml:"reverse_dns"`
}

func defaultSMTP() SMTP {
	return SMTP{
		Listen:              "127.0.0.1:2525",
		Hostname:            "localhost",
		MaxMessageSize:      Size(50 << 20),
		MaxRecipients:       100,
		MaxLineLength:       8192,
		MaxHeaderSize:       Size(1 << 20),
		ReadTimeout:         Duration(5 * time.Minute),
		WriteTimeout:        Duration(5 * time.Minute),
		MaxConnections:      500,
		MaxConnectionsPerIP: 50,
	}
}

func (s *SMTP) validate(p *problems) {
	checkHostPort(p, "smtp.listen", s.Listen)
	if s.Hostname == "" || strings.ContainsAny(s.Hostname, " \t\r\n") {
		p.add("smtp.hostname", "must be this host's name as it greets clients, without spaces")
	}
	if len(s.Domains) == 0 {
		p.add("smtp.domains", "list at least one local domain: mail for any other domain is refused (no open relay)")
	}
	for i, d := range s.Domains {
		if d == "" || strings.ContainsAny(d, "@ \t") {
			p.add("smtp.domains", "entry %d (%q) is not a domain name", i+1, d)
		}
		s.Domains[i] = strings.ToLower(strings.TrimSuffix(d, "."))
	}
	if s.MaxMessageSize < 1024 {
		p.add("smtp.max_message_size", "must be at least 1KiB")
	}
	if s.MaxRecipients < 1 {
		p.add("smtp.max_recipients", "must be at least 1")
	}
	if s.MaxLineLength < 1000 {
		p.add("smtp.max_line_length", "must be at least 1000 (RFC 5321 allows 1000-octet lines)")
	}
	if s.MaxHeaderSize < 1024 {
		p.add("smtp.max_header_size", "must be at least 1KiB")
	}
	if s.ReadTimeout <= 0 {
		p.add("smtp.read_timeout", "must be positive")
	}
	if s.WriteTimeout <= 0 {
		p.add("smtp.write_timeout", "must be positive")
	}
	if s.MaxConnections < 1 {
		p.add("smtp.max_connections", "must be at least 1")
	}
	if s.MaxConnectionsPerIP < 1 || s.MaxConnectionsPerIP > s.MaxConnections {
		p.add("smtp.max_connections_per_ip", "must be between 1 and smtp.max_connections")
	}
	if (s.TLSCert == "") != (s.TLSKey == "") {
		p.add("smtp.tls_cert", "tls_cert and tls_key go together")
	}
	for _, f := range []struct{ key, path string }{{"smtp.tls_cert", s.TLSCert}, {"smtp.tls_key", s.TLSKey}} {
		if f.path != "" {
			if _, err := os.Stat(f.path); err != nil {
				p.add(f.key, "%v", err)
			}
		}
	}
	if s.RequireTLS && s.TLSCert == "" {
		p.add("smtp.require_tls", "needs tls_cert and tls_key")
	}
}

// Queue is the [queue] section: the durable spool and its retry schedule.
type Queue struct {
	Dir string `toml:"dir"`
	// Workers is the number of deliveries in flight at once.
	Workers int `toml:"workers"`
	// MinBackoff and MaxBackoff bound the delay between attempts; the delay
	// doubles after each transient failure (Postfix: minimal_backoff_time,
	// maximal_backoff_time).
	MinBackoff Duration `toml:"min_backoff"`
	MaxBackoff Duration `toml:"max_backoff"`
	// MaxLifetime is how long a message may stay undelivered before it is
	// bounced (Postfix: maximal_queue_lifetime).
	MaxLifetime Duration `toml:"max_lifetime"`
	// FilterWorkers bounds how many messages are judged (decoded,
	// authenticated, classified, drafted) at once; 0 means half the CPUs,
	// at least one. Judging runs after the 250, so keeping it below the
	// CPU count leaves room for accepting mail under load.
	FilterWorkers int `toml:"filter_workers"`
	// Sync is how spooled messages (before 250) and copies filed in local
	// Maildirs are made durable: "syncfs" commits each batch of concurrent
	// writes with one syncfs(2) of the file system (fewest disk flushes;
	// best on a file system of its own), "fsync" fsyncs each file and
	// shares directory fsyncs.
	Sync string `toml:"sync"`
}

func defaultQueue() Queue {
	return Queue{
		Sync:        "syncfs",
		Dir:         "./var/queue",
		Workers:     20,
		MinBackoff:  Duration(300 * time.Second),
		MaxBackoff:  Duration(4000 * time.Second),
		MaxLifetime: Duration(5 * 24 * time.Hour),
	}
}

func (q *Queue) validate(p *problems) {
	if q.Dir == "" {
		p.add("queue.dir", "must name the spool directory")
	}
	q.Dir = resolveDir(q.Dir)
	if q.Sync != "syncfs" && q.Sync != "fsync" {
		p.add("queue.sync", "must be syncfs or fsync, not %q", q.Sync)
	}
	if q.FilterWorkers < 0 || q.FilterWorkers > 1000 {
		p.add("queue.filter_workers", "must be between 0 (half the CPUs) and 1000")
	}
	if q.Workers < 1 || q.Workers > 1000 {
		p.add("queue.workers", "must be between 1 and 1000")
	}
	if q.MinBackoff <= 0 {
		p.add("queue.min_backoff", "must be positive")
	}
	if q.MaxBackoff < q.MinBackoff {
		p.add("queue.max_backoff", "must not be less than queue.min_backoff")
	}
	if q.MaxLifetime < q.MinBackoff {
		p.add("queue.max_lifetime", "must not be less than queue.min_backoff")
	}
}

// Delivery is the [delivery] section: where relayed mail goes.
type Delivery struct {
	// Downstream is smtp://host:port, lmtp://host:port, lmtp:unix:/path or
	// maildir:/path (one Maildir per recipient address below /path).
	Downstream string `toml:"downstream"`
	// Timeout bounds one delivery attempt.
	Timeout Duration `toml:"timeout"`
	// BounceFrom is the From address of bounces; default
	// MAILER-DAEMON@<smtp.hostname>.
	BounceFrom string `toml:"bounce_from"`
	// TLS is STARTTLS towards an smtp:// or lmtp:// downstream, with
	// Postfix's smtp_tls_security_level names: "none" (default), "may"
	// (when offered; the certificate is not checked), "encrypt" (required;
	// not checked), "verify" (required, and the certificate must be valid
	// for the downstream's host name, against TLSCA or the system's CAs).
	TLS string `toml:"tls"`
	// TLSCA is a PEM file of CA certificates for "verify"; empty: the
	// system's.
	TLSCA string `toml:"tls_ca"`
}

func defaultDelivery() Delivery {
	return Delivery{Downstream: "maildir:./var/mail", Timeout: Duration(2 * time.Minute)}
}

func (d *Delivery) validate(p *problems) {
	t, err := ParseTarget(d.Downstream)
	if err != nil {
		p.add("delivery.downstream", "%v", err)
	} else if t.Scheme == "maildir" {
		d.Downstream = "maildir:" + resolveDir(t.Address)
	}
	if d.Timeout <= 0 {
		p.add("delivery.timeout", "must be positive")
	}
	switch d.TLS {
	case "", "none":
	case "may", "encrypt", "verify":
		if err == nil && t.Scheme != "smtp" {
			p.add("delivery.tls", "STARTTLS applies to smtp:// downstreams, not %s", t.Scheme)
		}
	default:
		p.add("delivery.tls", "must be none, may, encrypt or verify, not %q", d.TLS)
	}
	if d.TLSCA != "" {
		if _, err := os.Stat(d.TLSCA); err != nil {
			p.add("delivery.tls_ca", "%v", err)
		}
	}
}

// Target is a parsed delivery address.
type Target struct {
	Scheme  string // smtp, lmtp, maildir, imap
	Network string // tcp or unix (smtp, lmtp, imap)
	Address string // host:port, socket path, or directory
	TLS     bool   // imaps:// or smtps://
}

// ParseTarget parses smtp://host:port, smtps://host:port, lmtp://host:port,
// lmtp:unix:/path, maildir:/path, imap://host:port and imaps://host:port.
func ParseTarget(s string) (Target, error) {
	switch {
	case strings.HasPrefix(s, "maildir:"):
		dir := strings.TrimPrefix(s, "maildir:")
		if dir == "" {
			return Target{}, errorf("maildir: needs a directory, as in maildir:./var/mail")
		}
		return Target{Scheme: "maildir", Address: dir}, nil
	case strings.HasPrefix(s, "lmtp:unix:"):
		path := strings.TrimPrefix(s, "lmtp:unix:")
		if path == "" {
			return Target{}, errorf("lmtp:unix: needs a socket path")
		}
		return Target{Scheme: "lmtp", Network: "unix", Address: path}, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return Target{}, errorf("%q is not one of smtp://host:port, lmtp://host:port, lmtp:unix:/path, maildir:/path", s)
	}
	t := Target{Network: "tcp", Address: u.Host}
	switch u.Scheme {
	case "smtp", "lmtp", "imap":
		t.Scheme = u.Scheme
	case "smtps", "imaps":
		t.Scheme = strings.TrimSuffix(u.Scheme, "s")
		t.TLS = true
	default:
		return Target{}, errorf("unknown scheme %q in %q (smtp, smtps, lmtp, maildir, imap, imaps)", u.Scheme, s)
	}
	if _, port, err := net.SplitHostPort(u.Host); err != nil || port == "" {
		return Target{}, errorf("%q needs host:port", s)
	}
	return t, nil
}

func checkHostPort(p *problems, key, v string) {
	host, port, err := net.SplitHostPort(v)
	_ = host
	if err != nil || port == "" {
		p.add(key, "%q is not host:port", v)
	}
}
