package auth

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/internal/dnstest"
)

// BenchmarkCheck is the per-message cost of DKIM, SPF and DMARC for a
// signed 5 KB message, with a local dnsmasq and the answers cached (the
// steady state of a relay).
func BenchmarkCheck(b *testing.B) {
	s := newSigner(b)
	srv := dnstest.StartDNSMasq(b, testZone(s))
	c := newChecker(b, srv.Addr, 5*time.Second)
	text := strings.Repeat("We are a distributor of kick scooters in Germany and would like your price list.\r\n", 60)
	msg := s.Sign(b, toSign{Msg: message("hans@buyer.example", text), Sel: "sel", D: "buyer.example"})[0]
	in := input(msg, "192.0.2.10", "mta.buyer.example", "bounce@buyer.example")
	if res := c.Check(context.Background(), in, bytes.NewReader(msg)); res.DKIM != "pass" || res.SPF != "pass" || res.DMARC != "pass" {
		b.Fatalf("not a pass: %s", res.HeaderLine)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c.Check(context.Background(), in, bytes.NewReader(msg))
	}
}

// BenchmarkCheckUncached asks dnsmasq for every lookup (cache off).
func BenchmarkCheckUncached(b *testing.B) {
	s := newSigner(b)
	srv := dnstest.StartDNSMasq(b, testZone(s))
	r, err := newResolverNoCache(srv.Addr)
	if err != nil {
		b.Fatal(err)
	}
	c := NewWithResolver(testConfig(), r)
	msg := s.Sign(b, toSign{Msg: message("hans@buyer.example", body), Sel: "sel", D: "buyer.example"})[0]
	in := input(msg, "192.0.2.10", "mta.buyer.example", "bounce@buyer.example")
	b.ReportAllocs()
	for b.Loop() {
		c.Check(context.Background(), in, bytes.NewReader(msg))
	}
}
