package e2e

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/tradesift/tradesift/filter/internal/dnstest"
	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// TestAuthWithRealDNS runs the daemon with auth on against dnsmasq
// serving DKIM, SPF and DMARC records for buyer.example: a signed message
// from an SPF-allowed address gets dkim=pass, spf=pass, dmarc=pass in our
// Authentication-Results; an unsigned one claiming the same From, sent
// from an address SPF does not allow, gets fails. The signature still
// verifies after relaying.
func TestAuthWithRealDNS(t *testing.T) {
	mtatest.RequireTool(t, dnstest.DNSMasq)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	keyRecord := "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	dns := dnstest.StartDNSMasq(t, dnstest.Zone{TXT: map[string][]string{
		"e2e._domainkey.buyer.example": {keyRecord},
		"buyer.example":                {"v=spf1 ip4:127.0.0.1 -all"},
		"_dmarc.buyer.example":         {"v=DMARC1; p=reject"},
		"forger.example":               {"v=spf1 -all"},
	}})
	mail := filepath.Join(t.TempDir(), "mail")
	ts := startRelay(t, relayConfig{Downstream: "maildir:" + mail, Auth: true, Resolver: dns.Addr, Direct: true})

	raw := []byte("From: Buyer <anna@buyer.example>\r\nTo: sales@" + Domain + "\r\nSubject: RFQ ER-K200 1000 pcs\r\n" +
		"Date: Fri, 27 Nov 2026 04:00:00 +0000\r\nMessage-ID: <auth-signed@e2e.test>\r\n\r\n" +
		"Please quote 1000 pcs ER-K200, FOB Ningbo.\r\n")
	var signed bytes.Buffer
	if err := dkim.Sign(&signed, bytes.NewReader(raw), &dkim.SignOptions{
		Domain: "buyer.example", Selector: "e2e", Signer: priv,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationSimple,
	}); err != nil {
		t.Fatal(err)
	}
	forged := bytes.ReplaceAll(raw, []byte("auth-signed@"), []byte("auth-forged@"))
	if err := mtatest.SendSMTP(ts.Addr, "anna@buyer.example", []string{"sales@" + Domain}, signed.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := mtatest.SendSMTP(ts.Addr, "anna@forger.example", []string{"sales@" + Domain}, forged); err != nil {
		t.Fatal(err)
	}
	tt := txtTable{"e2e._domainkey.buyer.example": keyRecord}
	for _, m := range waitMaildir(t, mail, 2, 30*time.Second) {
		ar := mtatest.Header(m.Data, "Authentication-Results")
		switch {
		case bytes.Contains(m.Data, []byte("<auth-signed@e2e.test>")):
			for _, want := range []string{"dkim=pass", "spf=pass", "dmarc=pass"} {
				if !strings.Contains(ar, want) {
					t.Errorf("signed message: %q lacks %s", ar, want)
				}
			}
			if r := dkimResults(m.Data, tt); passes(r) != 1 {
				t.Errorf("signature does not verify after relaying: %v", r)
			}
			t.Logf("signed: %s", ar)
		case bytes.Contains(m.Data, []byte("<auth-forged@e2e.test>")):
			if strings.Contains(ar, "dkim=pass") || strings.Contains(ar, "dmarc=pass") || strings.Contains(ar, "spf=pass") {
				t.Errorf("forged message: %q", ar)
			}
			if !strings.Contains(ar, "dmarc=fail") {
				t.Errorf("forged message: %q lacks dmarc=fail", ar)
			}
			t.Logf("forged: %s", ar)
		}
	}
}

// With [smtp] reverse_dns, the Received: field names the client by its
// forward-confirmed reverse DNS name (asked of a real dnsmasq); without
// it, "unknown".
func TestReceivedReverseDNS(t *testing.T) {
	mtatest.RequireTool(t, dnstest.DNSMasq)
	dns := dnstest.StartDNSMasq(t, dnstest.Zone{A: map[string][]string{"client.buyer.example": {"127.0.0.1"}}})
	for _, on := range []bool{true, false} {
		mail := filepath.Join(t.TempDir(), "mail")
		ts := startRelay(t, relayConfig{Downstream: "maildir:" + mail, Resolver: dns.Addr, Direct: true, ReverseDNS: on})
		msg := []byte("From: a@buyer.example\r\nTo: sales@" + Domain + "\r\nSubject: hi\r\nMessage-ID: <rdns@e2e.test>\r\n\r\nhello\r\n")
		if err := mtatest.SendSMTP(ts.Addr, "a@buyer.example", []string{"sales@" + Domain}, msg); err != nil {
			t.Fatal(err)
		}
		got := mtatest.Header(waitMaildir(t, mail, 1, 30*time.Second)[0].Data, "Received")
		want := "(unknown [127.0.0.1])"
		if on {
			want = "(client.buyer.example [127.0.0.1])"
		}
		if !strings.Contains(got, want) {
			t.Errorf("reverse_dns=%v: Received: %q lacks %q", on, got, want)
		}
		ts.Stop()
	}
}
