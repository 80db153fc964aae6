package auth

import (
	"bytes"
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/authres"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/dnsr"
	"github.com/tradesift/tradesift/filter/internal/dkimtest"
	"github.com/tradesift/tradesift/filter/internal/dnstest"
)

type signer = dkimtest.Signer

type toSign = dkimtest.Request

func newSigner(t testing.TB) *signer { return dkimtest.New(t) }

func message(from, body string) []byte {
	m := "From: Hans Becker <" + from + ">\r\n" +
		"To: sales@everride-scooter.com\r\n" +
		"Subject: Inquiry ER-K200 kick scooters\r\n" +
		"Date: Tue, 10 Mar 2026 09:12:00 +0100\r\n" +
		"Message-ID: <abc123@buyer.example>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"\r\n" + body
	return []byte(m)
}

const body = "Dear Sir or Madam,\r\n\r\nplease quote 600 pcs ER-K200, FOB Ningbo.\r\n\r\nHans Becker\r\nScootWorld GmbH\r\n"

func testZone(s *signer) dnstest.Zone {
	return dnstest.Zone{
		TXT: map[string][]string{
			"sel._domainkey.buyer.example":  {s.KeyRecord()},
			"buyer.example":                 {"v=spf1 ip4:192.0.2.10 -all"},
			"_dmarc.buyer.example":          {"v=DMARC1; p=reject; sp=quarantine"},
			"mta.buyer.example":             {"v=spf1 ip4:192.0.2.20 -all"},
			"strict.example":                {"v=spf1 ip4:192.0.2.30 -all"},
			"_dmarc.strict.example":         {"v=DMARC1; p=reject; adkim=s; aspf=s"},
			"sel._domainkey.strict.example": {s.KeyRecord()},
			"nodmarc.example":               {"v=spf1 ip4:192.0.2.10 ~all"},
		},
	}
}

func testConfig() *config.Config {
	cfg := config.Default()
	cfg.Auth.Enabled = true
	cfg.Auth.AuthservID = "mx.everride-scooter.com"
	return cfg
}

func newChecker(t testing.TB, addr string, budget time.Duration) *Checker {
	t.Helper()
	r, err := dnsr.New(addr, dnsr.Options{Budget: budget})
	if err != nil {
		t.Fatal(err)
	}
	return NewWithResolver(testConfig(), r)
}

func input(msg []byte, ip, helo, mailFrom string) Input {
	h, err := textproto.ReadHeader(bufioReader(msg))
	if err != nil {
		panic(err)
	}
	return Input{ClientIP: net.ParseIP(ip), Helo: helo, MailFrom: mailFrom, Header: h}
}

func TestCheck(t *testing.T) {
	s := newSigner(t)
	srv := dnstest.StartDNSMasq(t, testZone(s))
	c := newChecker(t, srv.Addr, 5*time.Second)

	msgs := s.Sign(t,
		toSign{Msg: message("hans@buyer.example", body), Sel: "sel", D: "buyer.example"},
		toSign{Msg: message("hans@news.buyer.example", body), Sel: "sel", D: "buyer.example"},
		toSign{Msg: message("hans@mail.strict.example", body), Sel: "sel", D: "strict.example"})
	signed, subSigned, strictSigned := msgs[0], msgs[1], msgs[2]
	altered := bytes.Replace(signed, []byte("600 pcs"), []byte("6000 pcs"), 1)

	tests := []struct {
		name               string
		msg                []byte
		ip, helo, mailFrom string
		dkim, spf, dmarc   string
		policy             string
		signals            []string
		header             []string // substrings of HeaderLine
	}{
		{name: "signed and from an allowed IP", msg: signed, ip: "192.0.2.10", helo: "mta.buyer.example", mailFrom: "bounce@buyer.example",
			dkim: "pass", spf: "pass", dmarc: "pass", policy: "reject",
			header: []string{"dkim=pass header.d=buyer.example header.i=@buyer.example", "spf=pass smtp.mailfrom=bounce@buyer.example", "dmarc=pass header.from=buyer.example"}},
		{name: "body altered after signing, SPF still aligned", msg: altered, ip: "192.0.2.10", helo: "mta.buyer.example", mailFrom: "bounce@buyer.example",
			dkim: "fail", spf: "pass", dmarc: "pass", policy: "reject", signals: []string{"dkim-fail"},
			header: []string{"dkim=fail reason="}},
		{name: "body altered, foreign IP: DMARC p=reject fails, reported only", msg: altered, ip: "198.51.100.7", helo: "evil.example", mailFrom: "bounce@buyer.example",
			dkim: "fail", spf: "fail", dmarc: "fail", policy: "reject", signals: []string{"dkim-fail", "spf-fail", "dmarc-fail"},
			header: []string{`dmarc=fail reason="p=reject" header.from=buyer.example`, "spf=fail"}},
		{name: "unsigned from an allowed IP", msg: message("hans@buyer.example", body), ip: "192.0.2.10", helo: "mta.buyer.example", mailFrom: "hans@buyer.example",
			dkim: "none", spf: "pass", dmarc: "pass", policy: "reject", header: []string{"dkim=none"}},
		{name: "unsigned from another IP", msg: message("hans@buyer.example", body), ip: "203.0.113.5", helo: "x.example", mailFrom: "hans@buyer.example",
			dkim: "none", spf: "fail", dmarc: "fail", policy: "reject", signals: []string{"spf-fail", "dmarc-fail"}},
		{name: "null sender: SPF of the HELO name", msg: message("hans@buyer.example", body), ip: "192.0.2.20", helo: "mta.buyer.example", mailFrom: "",
			dkim: "none", spf: "pass", dmarc: "pass", policy: "reject", header: []string{"spf=pass smtp.helo=mta.buyer.example"}},
		{name: "subdomain From, org-domain DMARC record with sp=, relaxed DKIM alignment", msg: subSigned, ip: "203.0.113.5", helo: "x.example", mailFrom: "",
			dkim: "pass", spf: "none", dmarc: "pass", policy: "quarantine"},
		{name: "subdomain From, org-domain record, nothing aligned: sp= applies", msg: message("hans@news.buyer.example", body), ip: "203.0.113.5", helo: "x.example", mailFrom: "a@news.buyer.example",
			dkim: "none", spf: "none", dmarc: "fail", policy: "quarantine", signals: []string{"dmarc-fail"}},
		{name: "strict alignment: subdomain From does not align", msg: strictSigned, ip: "192.0.2.30", helo: "x.example", mailFrom: "b@strict.example",
			dkim: "pass", spf: "pass", dmarc: "fail", policy: "reject", signals: []string{"dmarc-fail"}},
		{name: "no DMARC record", msg: message("a@nodmarc.example", body), ip: "203.0.113.5", helo: "x.example", mailFrom: "a@nodmarc.example",
			dkim: "none", spf: "softfail", dmarc: "none"},
		{name: "null sender, address literal as HELO: SPF none", msg: message("hans@buyer.example", body), ip: "192.0.2.10", helo: "[192.0.2.10]", mailFrom: "",
			dkim: "none", spf: "none", dmarc: "fail", policy: "reject", signals: []string{"dmarc-fail"}},
		{name: "no client IP: SPF not checked", msg: signed, ip: "", helo: "", mailFrom: "",
			dkim: "pass", spf: "not-checked", dmarc: "pass", policy: "reject"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := c.Check(context.Background(), input(tc.msg, tc.ip, tc.helo, tc.mailFrom), bytes.NewReader(tc.msg))
			if res.DKIM != tc.dkim || res.SPF != tc.spf || res.DMARC != tc.dmarc || res.DMARCPolicy != tc.policy {
				t.Errorf("dkim=%s spf=%s dmarc=%s (p=%s), want dkim=%s spf=%s dmarc=%s (p=%s)\n%s",
					res.DKIM, res.SPF, res.DMARC, res.DMARCPolicy, tc.dkim, tc.spf, tc.dmarc, tc.policy, res.HeaderLine)
			}
			if !slices.Equal(res.Signals, tc.signals) {
				t.Errorf("signals %q, want %q", res.Signals, tc.signals)
			}
			for _, want := range tc.header {
				if !strings.Contains(res.HeaderLine, want) {
					t.Errorf("header lacks %q:\n%s", want, res.HeaderLine)
				}
			}
			checkHeaderLine(t, res.HeaderLine, "mx.everride-scooter.com")
		})
	}
}

// checkHeaderLine parses the field back with go-msgauth and checks it is
// folded with lines under 78 characters where it can be.
func checkHeaderLine(t *testing.T, line, id string) {
	t.Helper()
	if !strings.HasPrefix(line, "Authentication-Results: ") || !strings.HasSuffix(line, "\r\n") {
		t.Fatalf("malformed field %q", line)
	}
	h, err := textproto.ReadHeader(bufioReader([]byte(line + "\r\n")))
	if err != nil {
		t.Fatalf("field does not parse as a header: %v", err)
	}
	gotID, _, err := authres.Parse(h.Get("Authentication-Results"))
	if err != nil || gotID != id {
		t.Errorf("authres.Parse: id %q, %v", gotID, err)
	}
	if !IsOurs(h.Get("Authentication-Results"), id) {
		t.Error("IsOurs(our own field) = false")
	}
	for _, l := range strings.Split(strings.TrimSuffix(line, "\r\n"), "\r\n") {
		if len(l) > 998 {
			t.Errorf("line of %d octets", len(l))
		}
	}
}

// With the DNS server gone, every check is temperror, promptly, and
// nothing fails.
func TestCheckDNSDown(t *testing.T) {
	s := newSigner(t)
	srv := dnstest.StartDNSMasq(t, testZone(s))
	c := newChecker(t, srv.Addr, 5*time.Second)
	srv.Stop()
	msg := s.Sign(t, toSign{Msg: message("hans@buyer.example", body), Sel: "sel", D: "buyer.example"})[0]
	start := time.Now()
	res := c.Check(context.Background(), input(msg, "192.0.2.10", "mta.buyer.example", "bounce@buyer.example"), bytes.NewReader(msg))
	took := time.Since(start)
	if res.DKIM != "temperror" || res.SPF != "temperror" || res.DMARC != "temperror" {
		t.Errorf("dkim=%s spf=%s dmarc=%s, want temperror for all\n%s", res.DKIM, res.SPF, res.DMARC, res.HeaderLine)
	}
	if len(res.Signals) != 0 {
		t.Errorf("signals %q on DNS trouble", res.Signals)
	}
	// A stopped server is known at once (ICMP port unreachable): the
	// check does not wait for the 5 s budget.
	if took > 2*time.Second {
		t.Errorf("check took %v with the DNS server down", took)
	}
	if !slices.Equal(res.DKIMDomains, []string{"buyer.example"}) {
		t.Errorf("DKIMDomains %q", res.DKIMDomains)
	}
}

// A server that takes datagrams and never answers: the check ends when the
// budget is spent.
func TestCheckSilentDNSBoundedByBudget(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	c := newChecker(t, pc.LocalAddr().String(), 500*time.Millisecond)
	msg := message("hans@buyer.example", body)
	msg = append([]byte("DKIM-Signature: v=1; a=rsa-sha256; d=buyer.example; s=sel; h=from; bh=AAAA; b=AAAA\r\n"), msg...)
	start := time.Now()
	res := c.Check(context.Background(), input(msg, "192.0.2.10", "h.example", "a@buyer.example"), bytes.NewReader(msg))
	took := time.Since(start)
	if res.DKIM != "temperror" || res.SPF != "temperror" || res.DMARC != "temperror" {
		t.Errorf("dkim=%s spf=%s dmarc=%s, want temperror\n%s", res.DKIM, res.SPF, res.DMARC, res.HeaderLine)
	}
	if took > 500*time.Millisecond+time.Second { // slack for a loaded CI machine
		t.Errorf("check took %v with a 500ms budget", took)
	}
}

func TestCheckDisabled(t *testing.T) {
	cfg := testConfig()
	cfg.Auth.Enabled = false
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	msg := append([]byte("DKIM-Signature: v=1; d=Competitor.Example; s=x\r\n"), message("a@b.example", body)...)
	res := c.Check(context.Background(), input(msg, "192.0.2.1", "h", "a@b.example"), bytes.NewReader(msg))
	if res.DKIM != NotChecked || res.SPF != NotChecked || res.DMARC != NotChecked || len(res.Signals) != 0 {
		t.Errorf("disabled: %+v", res)
	}
	if res.HeaderLine != "Authentication-Results: mx.everride-scooter.com; none\r\n" {
		t.Errorf("header %q", res.HeaderLine)
	}
	if !slices.Equal(res.DKIMDomains, []string{"competitor.example"}) {
		t.Errorf("DKIMDomains %q", res.DKIMDomains)
	}
	// No resolver: the same.
	res = NewWithResolver(testConfig(), nil).Check(context.Background(), Input{}, bytes.NewReader(msg))
	if res.DKIM != NotChecked || res.DMARC != NotChecked {
		t.Errorf("no DNS: %+v", res)
	}
}

func TestAligned(t *testing.T) {
	tests := []struct {
		from, d string
		strict  bool
		want    bool
	}{
		{"buyer.example", "buyer.example", true, true},
		{"news.buyer.example", "buyer.example", false, true},
		{"news.buyer.example", "buyer.example", true, false},
		{"scootworld.co.uk", "mail.scootworld.co.uk", false, true},
		{"scootworld.co.uk", "other.co.uk", false, false},
		{"a.github.io", "b.github.io", false, false}, // github.io is a public suffix
		{"Buyer.Example", "buyer.example.", true, true},
	}
	for _, tc := range tests {
		mode := "r"
		if tc.strict {
			mode = "s"
		}
		if got := aligned(tc.from, tc.d, alignment(mode)); got != tc.want {
			t.Errorf("aligned(%s, %s, %s) = %v", tc.from, tc.d, mode, got)
		}
	}
	if got := OrgDomain("mail.scootworld.co.uk"); got != "scootworld.co.uk" {
		t.Errorf("OrgDomain = %s", got)
	}
}

func TestHeaderFromDomain(t *testing.T) {
	tests := []struct {
		from   []string
		want   string
		hasErr bool
	}{
		{[]string{"Hans <hans@Buyer.Example>"}, "buyer.example", false},
		{[]string{"hans@buyer.example"}, "buyer.example", false},
		{[]string{`"Becker, Hans" <hans@buyer.example>`}, "buyer.example", false},
		{[]string{"=?utf-8?q?H=C3=A4ns?= <hans@buyer.example>"}, "buyer.example", false},
		{[]string{"a@x.example, b@y.example"}, "", true},
		{[]string{"a@x.example", "b@y.example"}, "", true},
		{nil, "", true},
		{[]string{"undisclosed"}, "", true},
	}
	for _, tc := range tests {
		var h textproto.Header
		for _, v := range tc.from {
			h.Add("From", v)
		}
		got, err := headerFromDomain(h)
		if got != tc.want || (err != nil) != tc.hasErr {
			t.Errorf("From %q: %q, %v", tc.from, got, err)
		}
	}
}
