package e2e

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/internal/dkimtest"
	"github.com/tradesift/tradesift/filter/internal/dnstest"
	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// TestAuthCasesThroughServe: messages signed by a real signer (python3-dkim)
// go through `tradesift serve` with DNS from dnsmasq: dkim=pass when
// intact, dkim=fail when the body was altered after signing (tagged
// dkim-fail), dkim=none when unsigned; DMARC p=reject failures are
// reported and tagged but the mail is delivered; with the DNS server
// stopped the results are temperror and the mail is still delivered,
// within the DNS budget.
func TestAuthCasesThroughServe(t *testing.T) {
	mtatest.RequireTool(t, dnstest.DNSMasq)
	signer := dkimtest.New(t)
	dns := dnstest.StartDNSMasq(t, dnstest.Zone{TXT: map[string][]string{
		"sel._domainkey.buyer.example": {signer.KeyRecord()},
		"buyer.example":                {"v=spf1 ip4:127.0.0.1 -all"},
		"_dmarc.buyer.example":         {"v=DMARC1; p=reject"},
	}})
	mail := filepath.Join(t.TempDir(), "mail")
	ts := startRelay(t, relayConfig{Downstream: "maildir:" + mail, Auth: true, Resolver: dns.Addr, Direct: true})

	msg := func(id string) []byte {
		return []byte("From: Buyer <anna@buyer.example>\r\nTo: sales@" + Domain + "\r\nSubject: RFQ ER-K200\r\n" +
			"Date: Fri, 27 Nov 2026 04:00:00 +0000\r\nMessage-ID: <" + id + "@e2e.test>\r\n\r\n" +
			"Please quote 1000 pcs ER-K200, FOB Ningbo.\r\n")
	}
	signed := signer.Sign(t,
		dkimtest.Request{Msg: msg("intact"), Sel: "sel", D: "buyer.example"},
		dkimtest.Request{Msg: msg("altered"), Sel: "sel", D: "buyer.example"})
	altered := bytes.Replace(signed[1], []byte("1000 pcs"), []byte("9000 pcs"), 1)
	send := func(from string, m []byte) {
		t.Helper()
		if err := mtatest.SendSMTP(ts.Addr, from, []string{"sales@" + Domain}, m); err != nil {
			t.Fatal(err)
		}
	}
	send("anna@buyer.example", signed[0])
	send("anna@buyer.example", altered)
	send("anna@buyer.example", msg("unsigned"))
	got := map[string]mtatest.MaildirMessage{}
	for _, m := range waitMaildir(t, mail, 3, 30*time.Second) {
		got[mtatest.Header(m.Data, "Message-ID")] = m
	}
	check := func(id string, want, notWant []string) {
		t.Helper()
		m, ok := got["<"+id+"@e2e.test>"]
		if !ok {
			t.Errorf("%s not delivered", id)
			return
		}
		ar := mtatest.Header(m.Data, "Authentication-Results") + " | " + mtatest.Header(m.Data, "X-Buyer-Signals")
		for _, w := range want {
			if !strings.Contains(ar, w) {
				t.Errorf("%s: %q lacks %q", id, ar, w)
			}
		}
		for _, w := range notWant {
			if strings.Contains(ar, w) {
				t.Errorf("%s: %q has %q", id, ar, w)
			}
		}
	}
	check("intact", []string{"dkim=pass", "spf=pass", "dmarc=pass"}, []string{"dkim-fail"})
	check("altered", []string{"dkim=fail", "dkim-fail"}, []string{"dkim=pass"})
	check("unsigned", []string{"dkim=none", "spf=pass"}, []string{"dkim-fail"})

	// DMARC p=reject failure: reported and tagged, not rejected.
	send("someone@forger.example", []byte(strings.Replace(string(msg("dmarcfail")), "Please quote", "Hello. Please quote", 1)))
	ms := waitMaildir(t, mail, 4, 30*time.Second)
	var dm []byte
	for _, m := range ms {
		if bytes.Contains(m.Data, []byte("<dmarcfail@e2e.test>")) {
			dm = m.Data
		}
	}
	if ar := mtatest.Header(dm, "Authentication-Results"); !strings.Contains(ar, "dmarc=fail") || !strings.Contains(mtatest.Header(dm, "X-Buyer-Signals"), "dmarc-fail") {
		t.Errorf("DMARC failure not reported and tagged: %q / %q", ar, mtatest.Header(dm, "X-Buyer-Signals"))
	}

	// DNS gone: temperror, and the mail still goes through promptly. (A
	// domain not asked about before: answers already cached stay valid.)
	fresh := signer.Sign(t, dkimtest.Request{Msg: bytes.ReplaceAll(msg("nodns"), []byte("buyer.example"), []byte("other.example")), Sel: "sel", D: "other.example"})
	dns.Stop()
	start := time.Now()
	send("anna@other.example", fresh[0])
	ms = waitMaildir(t, mail, 5, 30*time.Second)
	took := time.Since(start)
	var tm []byte
	for _, m := range ms {
		if bytes.Contains(m.Data, []byte("<nodns@e2e.test>")) && strings.Contains(mtatest.Header(m.Data, "Authentication-Results"), "temperror") {
			tm = m.Data
		}
	}
	if tm == nil {
		t.Fatalf("no message with temperror after the DNS server stopped (%d delivered)", len(ms))
	}
	// The relay's DNS budget is 2 s (relayConfig); allow the queue's pace.
	if took > 10*time.Second {
		t.Errorf("delivery with DNS down took %v", took)
	}
	t.Logf("DNS down: %s; delivered after %v", mtatest.Header(tm, "Authentication-Results"), took.Round(time.Millisecond))
}
