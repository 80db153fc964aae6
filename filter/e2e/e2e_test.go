// Package e2e runs the tradesift daemon as users run it — `tradesift serve`
// built from ./cmd/tradesift, a config file, real SMTP peers (Postfix's
// smtp-sink, a private Postfix, swaks) on loopback — and checks what a
// mail admin cares about: bytes pass through unchanged below our headers,
// DKIM keeps verifying, nothing acknowledged is lost across kill -9 or a
// downstream outage, bounces reach the sender, a full spool answers 4xx.
// BenchmarkRelay compares throughput and latency with a stock Postfix.
//
// Tools missing: tests skip with a one-line reason, or fail when
// TRADESIFT_REQUIRE_TOOLS=1 (CI).
package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	mtatest.Cleanup()
	os.Exit(code)
}

// Domain is the supplier's local domain in every test config.
const Domain = "everride-scooter.com"

// relayConfig is what a test varies in the daemon's config; the rest is
// the supplier of config.example.toml.
type relayConfig struct {
	Listen     string // empty: a free port
	QueueDir   string // empty: a temp dir
	Downstream string // smtp://…, maildir:…
	MinBackoff string // empty: "1s"
	MaxBackoff string // empty: "2s"
	Workers    int    // empty: 20
	Auth       bool
	Resolver   string
	// MaxLineLength raises [smtp] max_line_length (default 8192).
	MaxLineLength int
	// MaxMessageSize, e.g. "100MB"; empty: "50MB".
	MaxMessageSize string
	// Sync is [queue] sync; empty: the default (syncfs).
	Sync string
	// Direct: no trusted relays, the connecting client is the one SPF
	// and the Received header name (default: 127.0.0.1 is a trusted
	// Postfix in front, as in the content_filter set-up).
	Direct bool
	// Metrics is [metrics] listen (empty: off); Pprof serves the Go
	// profiler there too.
	Metrics string
	Pprof   bool
	// ReverseDNS is [smtp] reverse_dns (asks Resolver).
	ReverseDNS bool
}

// render writes the config text; dirs that are empty go below base.
func (c relayConfig) render(t testing.TB, base string) string {
	t.Helper()
	if c.Listen == "" {
		c.Listen = mtatest.FreeAddr(t)
	}
	if c.QueueDir == "" {
		c.QueueDir = filepath.Join(base, "queue")
	}
	if c.MinBackoff == "" {
		c.MinBackoff = "1s"
	}
	if c.MaxBackoff == "" {
		c.MaxBackoff = "2s"
	}
	if c.Workers == 0 {
		c.Workers = 20
	}
	if c.MaxLineLength == 0 {
		c.MaxLineLength = 8192
	}
	if c.MaxMessageSize == "" {
		c.MaxMessageSize = "50MB"
	}
	trusted := `["127.0.0.1", "::1"]`
	if c.Direct {
		trusted = "[]"
	}
	syncLine := ""
	if c.Sync != "" {
		syncLine = fmt.Sprintf("sync = %q", c.Sync)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `[smtp]
listen = %q
hostname = "mx.everride-scooter.com"
domains = [%q]
max_message_size = %q
max_recipients = 100
max_line_length = %d
max_header_size = "4MiB"
read_timeout = "2m"
write_timeout = "2m"
max_connections = 500
max_connections_per_ip = 200
reverse_dns = %v

[queue]
dir = %q
workers = %d
min_backoff = %q
max_backoff = %q
max_lifetime = "1h"
%s

[delivery]
downstream = %q
timeout = "1m"

[dns]
resolver = %q
budget = "2s"

[auth]
enabled = %v
authserv_id = "mx.everride-scooter.com"
trusted_relays = %s

[drafts]
deliver = %q
templates = ""
queue_dir = %q

[metrics]
listen = %q
pprof = %v

[log]
level = "info"
format = "text"

`, c.Listen, Domain, c.MaxMessageSize, c.MaxLineLength, c.ReverseDNS, c.QueueDir, c.Workers, c.MinBackoff, c.MaxBackoff, syncLine,
		c.Downstream, c.Resolver, c.Auth, trusted,
		"maildir:"+filepath.Join(base, "drafts"), filepath.Join(base, "drafts-queue"), c.Metrics, c.Pprof)
	b.WriteString(supplierSection(t))
	return b.String()
}

// supplierSection is config.example.toml from its [supplier] table on.
func supplierSection(t testing.TB) string {
	t.Helper()
	ex, err := os.ReadFile(filepath.Join(mtatest.RepoRoot(t), "config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(ex)
	i := strings.Index(s, "\n[supplier]\n")
	if i < 0 {
		t.Fatal("config.example.toml has no [supplier] table")
	}
	return s[i+1:]
}

// startRelay starts tradesift with c; base dirs live in a temp dir.
func startRelay(t testing.TB, c relayConfig) *mtatest.Tradesift {
	t.Helper()
	return mtatest.StartTradesift(t, c.render(t, t.TempDir()))
}
