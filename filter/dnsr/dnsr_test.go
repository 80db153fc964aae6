package dnsr

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/tradesift/tradesift/filter/internal/dnstest"
)

func testZone() dnstest.Zone {
	return dnstest.Zone{
		TXT: map[string][]string{
			"example.com":                 {"v=spf1 ip4:192.0.2.1 -all"},
			"_dmarc.example.com":          {"v=DMARC1; p=reject"},
			"long._domainkey.example.com": {"v=DKIM1; k=rsa; p=" + strings.Repeat("A", 600)},
			"two.example.com":             {"first", "second"},
			"huge.example.com":            {strings.Repeat("a", 900), strings.Repeat("b", 900)},
			"sel._domainkey.unicode.test": {"v=DKIM1; p="},
		},
		A:   map[string][]string{"mail.example.com": {"192.0.2.1", "2001:db8::1"}},
		MX:  map[string][]string{"example.com": {"10 mail.example.com"}},
		TTL: 60,
	}
}

func TestLookups(t *testing.T) {
	srv := dnstest.StartDNSMasq(t, testZone())
	r, err := New(srv.Addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	txt, err := r.LookupTXT(ctx, "example.com")
	if err != nil || len(txt) != 1 || txt[0] != "v=spf1 ip4:192.0.2.1 -all" {
		t.Errorf("TXT example.com = %q, %v", txt, err)
	}
	// A record longer than 255 bytes comes back joined.
	txt, err = r.LookupTXT(ctx, "long._domainkey.example.com.")
	if err != nil || len(txt) != 1 || len(txt[0]) != len("v=DKIM1; k=rsa; p=")+600 {
		t.Errorf("long TXT = %d records, %v", len(txt), err)
	}
	// Larger than the EDNS0 size: truncated over UDP, asked again over TCP.
	txt, err = r.LookupTXT(ctx, "huge.example.com")
	if err != nil || len(txt) != 2 || len(txt[0]) != 900 || len(txt[1]) != 900 {
		t.Errorf("huge TXT = %d records, %v", len(txt), err)
	}
	txt, err = r.LookupTXT(ctx, "Two.Example.COM")
	if err != nil || len(txt) != 2 {
		t.Errorf("two TXT = %q, %v", txt, err)
	}
	ips, err := r.LookupIPAddr(ctx, "mail.example.com")
	if err != nil || len(ips) != 2 || !ips[0].IP.Equal(net.ParseIP("192.0.2.1")) || !ips[1].IP.Equal(net.ParseIP("2001:db8::1")) {
		t.Errorf("IP mail.example.com = %v, %v", ips, err)
	}
	mx, err := r.LookupMX(ctx, "example.com")
	if err != nil || len(mx) != 1 || mx[0].Host != "mail.example.com." || mx[0].Pref != 10 {
		t.Errorf("MX = %v, %v", mx, err)
	}

	// NXDOMAIN and NODATA are "not found", as SPF and DMARC expect.
	for _, name := range []string{"nowhere.example.org", "mail.example.com"} {
		_, err = r.LookupTXT(ctx, name)
		var de *net.DNSError
		if !errors.As(err, &de) || !de.IsNotFound || de.Temporary() {
			t.Errorf("TXT %s: err = %#v, want not found", name, err)
		}
	}
	_, err = r.LookupIPAddr(ctx, "nowhere.example.org")
	if de, ok := err.(*net.DNSError); !ok || !de.IsNotFound {
		t.Errorf("IP nowhere: err = %#v, want not found", err)
	}
}

func TestCacheKeepsAnswersForTheirTTL(t *testing.T) {
	srv := dnstest.StartDNSMasq(t, testZone())
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	r, err := New(srv.Addr, Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := r.LookupTXT(ctx, "example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.LookupTXT(ctx, "nowhere.example.org"); err == nil {
		t.Fatal("nowhere.example.org resolved")
	}
	srv.Stop()

	// Within the TTL (60 s) the answers come from the cache, the
	// negative one too.
	mu.Lock()
	now = now.Add(59 * time.Second)
	mu.Unlock()
	if txt, err := r.LookupTXT(ctx, "example.com"); err != nil || len(txt) != 1 {
		t.Errorf("cached TXT = %q, %v", txt, err)
	}
	if _, err := r.LookupTXT(ctx, "nowhere.example.org"); err == nil || !err.(*net.DNSError).IsNotFound {
		t.Errorf("cached NXDOMAIN: err = %v", err)
	}

	// After it, the server is asked again; it is gone: a temporary error.
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	_, err = r.LookupTXT(ctx, "example.com")
	var de *net.DNSError
	if !errors.As(err, &de) || !de.Temporary() {
		t.Errorf("after TTL with server stopped: err = %#v, want temporary", err)
	}
}

func TestCacheIsBounded(t *testing.T) {
	now := time.Now()
	c := newCache(3, func() time.Time { return now })
	for _, n := range []string{"a.", "b.", "c."} {
		c.put(cacheKey{name: n}, answer{ttl: time.Minute})
	}
	c.get(cacheKey{name: "a."}) // a is now the most recent
	c.put(cacheKey{name: "d."}, answer{ttl: time.Minute})
	if c.len() != 3 {
		t.Fatalf("len = %d, want 3", c.len())
	}
	if _, ok := c.get(cacheKey{name: "b."}); ok {
		t.Error("b, the least recently used, was kept")
	}
	for _, n := range []string{"a.", "c.", "d."} {
		if _, ok := c.get(cacheKey{name: n}); !ok {
			t.Errorf("%s evicted", n)
		}
	}
}

// A server that never answers: the lookup gives up when the budget is
// spent, with a timeout error, not later.
func TestBudgetBoundsASilentServer(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	r, err := New(pc.LocalAddr().String(), Options{Budget: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := r.Budget(context.Background())
	defer cancel()
	start := time.Now()
	_, err = r.LookupTXT(ctx, "example.com")
	took := time.Since(start)
	var de *net.DNSError
	if !errors.As(err, &de) || !de.IsTimeout || !de.Temporary() {
		t.Errorf("err = %#v, want timeout", err)
	}
	if took > 300*time.Millisecond+time.Second { // slack for a loaded CI machine
		t.Errorf("lookup took %v with a 300ms budget", took)
	}
}

// A stopped server (nothing on the port) fails at once, as temporary.
func TestStoppedServerIsTemporary(t *testing.T) {
	srv := dnstest.StartDNSMasq(t, testZone())
	srv.Stop()
	r, err := New(srv.Addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := r.Budget(context.Background())
	defer cancel()
	start := time.Now()
	_, err = r.LookupTXT(ctx, "example.com")
	var de *net.DNSError
	if !errors.As(err, &de) || !de.Temporary() || de.IsNotFound {
		t.Errorf("err = %#v, want temporary", err)
	}
	if took := time.Since(start); took > DefaultBudget {
		t.Errorf("took %v", took)
	}
}

func TestSystemServers(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/resolv.conf"
	writeFile(t, path, "# comment\nsearch example.com\nnameserver 192.0.2.53\nnameserver fe80::1%eth0\noptions ndots:1\n")
	got, err := systemServers(path)
	if err != nil || len(got) != 2 || got[0] != "192.0.2.53:53" || got[1] != "[fe80::1]:53" {
		t.Errorf("servers = %q, %v", got, err)
	}
	writeFile(t, path, "search example.com\n")
	if _, err := systemServers(path); err == nil {
		t.Error("no nameserver line: no error")
	}
}

func TestReverseName(t *testing.T) {
	if got := reverseName(net.ParseIP("192.0.2.1")); got != "1.2.0.192.in-addr.arpa." {
		t.Errorf("v4: %s", got)
	}
	if got := reverseName(net.ParseIP("2001:db8::1")); !strings.HasPrefix(got, "1.0.0.0.") || !strings.HasSuffix(got, "8.b.d.0.1.0.0.2.ip6.arpa.") {
		t.Errorf("v6: %s", got)
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A server answering SERVFAIL: a temporary error, not cached.
func TestServfailIsTemporary(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	var mu sync.Mutex
	queries := 0
	go func() {
		buf := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var m dnsmessage.Message
			if m.Unpack(buf[:n]) != nil {
				continue
			}
			mu.Lock()
			queries++
			mu.Unlock()
			m.Response, m.RCode = true, dnsmessage.RCodeServerFailure
			m.Additionals = nil
			out, _ := m.Pack()
			pc.WriteTo(out, addr)
		}
	}()
	r, err := New(pc.LocalAddr().String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		_, err = r.LookupTXT(context.Background(), "example.com")
		var de *net.DNSError
		if !errors.As(err, &de) || !de.IsTemporary || de.IsNotFound {
			t.Fatalf("err = %#v, want temporary", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if queries < 2 {
		t.Errorf("%d queries: SERVFAIL was cached", queries)
	}
}
