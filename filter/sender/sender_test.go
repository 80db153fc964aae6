package sender

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
)

func supplier() *config.Supplier {
	return &config.Supplier{
		Domain:      "everride-scooter.com",
		Competitors: []string{"yongkang-speedway.com", "zj-swiftscoot.cn", "jinhua-kickpro.com", "nbwheelstar.com"},
		Customers:   []string{"scootworld.de", "urbanmove.co.uk", "ridekids.com.au"},
	}
}

// msg builds a decoded message by hand: from, then header fields as
// "Key: value" strings.
func msg(from string, fields ...string) *decode.Message {
	m := &decode.Message{From: decode.Address{Addr: from}}
	for i := len(fields) - 1; i >= 0; i-- {
		k, v, _ := strings.Cut(fields[i], ": ")
		m.Header.Add(k, v)
	}
	return m
}

func TestAnalyze(t *testing.T) {
	cet := time.FixedZone("", 3600)
	cst := time.FixedZone("", 8*3600)
	tests := []struct {
		name string
		m    *decode.Message
		dkim []string
		want []string
	}{
		{"plain foreign buyer", func() *decode.Message {
			m := msg("hans.becker@scootworld.de", "X-Mailer: Microsoft Outlook 16.0")
			m.Date, m.HasDate = time.Date(2026, 3, 10, 9, 0, 0, 0, cet), true
			m.Charsets = []string{"utf-8"}
			return m
		}(), []string{"scootworld.de"}, nil},
		{"competitor in From", msg("li@yongkang-speedway.com"), nil, []string{CompetitorDomain}},
		{"competitor subdomain in Return-Path", func() *decode.Message {
			m := msg("buyer@somewhere-trading.com")
			m.ReturnPath = "bounce@mail.nbwheelstar.com"
			return m
		}(), nil, []string{CompetitorDomain}},
		{"competitor signs with DKIM", msg("buyer@somewhere-trading.com"), []string{"zj-swiftscoot.cn"}, []string{CompetitorDomain}},
		{"competitor Reply-To", func() *decode.Message {
			m := msg("john@usa-scooters.com")
			m.ReplyTo = []decode.Address{{Addr: "john@jinhua-kickpro.com"}}
			return m
		}(), nil, []string{CompetitorDomain, ReplyToOtherDomain}},
		{"look-alike of our domain", msg("lily.chen@everride-sc00ter.com"), nil, []string{LookalikeOwnDomain}},
		{"Cyrillic look-alike of our domain", msg("david.li@еverride-scooter.com"), nil, []string{LookalikeOwnDomain}},
		{"look-alike of a customer", msg("hans@scootw0rld.de"), nil, []string{LookalikeCustomerDomain}},
		{"customer TLD swap in Reply-To", func() *decode.Message {
			m := msg("purchasing@urbanmove.co.uk")
			m.ReplyTo = []decode.Address{{Addr: "purchasing@urbanmove.com"}}
			return m
		}(), nil, []string{LookalikeCustomerDomain, ReplyToOtherDomain}},
		{"our own mail is no look-alike", msg("lily.chen@everride-scooter.com"), []string{"everride-scooter.com"}, nil},
		{"Reply-To free mail", func() *decode.Message {
			m := msg("sales@autoparts-trading.de")
			m.ReplyTo = []decode.Address{{Addr: "autoparts.trading@gmail.com"}}
			return m
		}(), nil, []string{ReplyToOtherDomain, ReplyToFreemail}},
		{"Reply-To same as From", func() *decode.Message {
			m := msg("mike@gmail.com")
			m.ReplyTo = []decode.Address{{Addr: "Mike@gmail.com"}}
			return m
		}(), nil, []string{FreemailSender}},
		{"Reply-To other address of the same company", func() *decode.Message {
			m := msg("mike@scoot-import.com")
			m.ReplyTo = []decode.Address{{Addr: "purchase@mail.scoot-import.com"}}
			return m
		}(), nil, nil},
		{"free mail sender, yahoo under a country suffix", msg("importer2026@yahoo.co.uk"), nil, []string{FreemailSender}},
		{"free mail subdomain", msg("x@vip.163.com"), nil, []string{FreemailSender}},
		{"Chinese mailer, +0800, GB charset", func() *decode.Message {
			m := msg("peter@euro-scooter-import.com", "X-Mailer: Foxmail 7.2.25.228[cn]")
			m.Date, m.HasDate = time.Date(2026, 3, 10, 17, 0, 0, 0, cst), true
			m.Charsets = []string{"gb2312"}
			return m
		}(), nil, []string{ChinaMailer, DatePlus0800, GBCharset}},
		{"QQ mail stamp, GBK subject", msg("a@b-trading.com", "X-QQ-mid: bizesmtp12t1700000000", "Subject: =?GBK?B?0a+827Wl?="), nil, []string{ChinaMailer, GBCharset}},
		{"NetEase user agent", msg("a@b-trading.com", "User-Agent: NetEase Flash Mail 2.4.1.32"), nil, []string{ChinaMailer}},
		{"unparsed Date with +0800", msg("a@b-trading.com", "Date: Tue, 10 Mar 2026 25:61:00 +0800 (CST)"), nil, []string{DatePlus0800}},
		{"+0800 Date only when parsed says so", func() *decode.Message {
			m := msg("a@b-trading.com", "Date: Tue, 10 Mar 2026 10:00:00 +0800")
			m.Date, m.HasDate = time.Date(2026, 3, 10, 10, 0, 0, 0, cet), true // decoded differently
			return m
		}(), nil, nil},
		{"everything a disguised competitor does", func() *decode.Message {
			m := msg("purchasing@scootworld.eu", "X-Mailer: Foxmail 7.2")
			m.ReplyTo = []decode.Address{{Addr: "scootworld.buyer@163.com"}}
			m.Date, m.HasDate = time.Date(2026, 3, 10, 17, 0, 0, 0, cst), true
			m.Charsets = []string{"utf-8", "gb18030"}
			return m
		}(), nil, []string{LookalikeCustomerDomain, ReplyToOtherDomain, ReplyToFreemail, ChinaMailer, DatePlus0800, GBCharset}},
		{"no From at all", &decode.Message{}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Analyze(tc.m, supplier(), tc.dkim)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Analyze = %q, want %q", got, tc.want)
			}
		})
	}
	// A customer with two domains: neither is a look-alike of the other.
	sup := supplier()
	sup.Customers = append(sup.Customers, "scootworld.com")
	if got := Analyze(msg("hans@scootworld.com"), sup, nil); got != nil {
		t.Errorf("second customer domain: %q", got)
	}
	if got := Analyze(msg("hans@scootworld.eu"), sup, nil); !slices.Equal(got, []string{LookalikeCustomerDomain}) {
		t.Errorf("third TLD: %q", got)
	}
	if got := Analyze(nil, supplier(), nil); got != nil {
		t.Errorf("nil message: %q", got)
	}
	if got := Analyze(msg("x@gmail.com"), nil, nil); !slices.Equal(got, []string{FreemailSender}) {
		t.Errorf("nil supplier: %q", got)
	}
}

// A raw message as a Chinese trading company's Foxmail writes it, through
// decode.Parse.
func TestAnalyzeParsed(t *testing.T) {
	raw := "Return-Path: <sales@zj-swiftscoot.cn>\r\n" +
		"Date: Tue, 10 Mar 2026 17:05:11 +0800\r\n" +
		"From: \"Mr. Schmidt\" <m.schmidt@scootworld.de.com>\r\n" +
		"Reply-To: schmidt.trade@126.com\r\n" +
		"To: sales@everride-scooter.com\r\n" +
		"Subject: =?gb2312?B?0a+827Wl?=\r\n" +
		"X-Mailer: Foxmail 7.2.25.228[cn]\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=\"gb2312\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n" +
		"\r\n" +
		"RGVhciBzaXIsIHBsZWFzZSBzZW5kIHByaWNlIGxpc3Qu\r\n"
	m, err := decode.Parse(strings.NewReader(raw), decode.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var h textproto.Header = m.Header
	if !h.Has("X-Mailer") {
		t.Fatalf("decode kept no X-Mailer: %+v", m)
	}
	got := Analyze(m, supplier(), nil)
	// de.com is a public suffix (CentralNic): scootworld.de.com swaps the TLD.
	want := []string{CompetitorDomain, LookalikeCustomerDomain, ReplyToOtherDomain, ReplyToFreemail, ChinaMailer, DatePlus0800, GBCharset}
	if !slices.Equal(got, want) {
		t.Errorf("Analyze = %q, want %q (From %q, Reply-To %v, Return-Path %q, charsets %q)", got, want, m.From.Addr, m.ReplyTo, m.ReturnPath, m.Charsets)
	}
}

func TestIsFreemail(t *testing.T) {
	for d, want := range map[string]bool{
		"gmail.com": true, "yahoo.com": true, "yahoo.co.jp": true, "yahoo.de": true, "hotmail.fr": true,
		"outlook.com": true, "live.co.uk": true, "qq.com": true, "163.com": true, "126.com": true,
		"mail.ru": true, "yandex.ru": true, "proton.me": true, "gmx.de": true, "web.de": true, "sina.com": true,
		"scootworld.de": false, "yahoo-trading.com": false, "mygmail.com": false, "everride-scooter.com": false,
		"notyahoo.com": false, "live-scooters.de": false,
	} {
		if got := isFreemail(d); got != want {
			t.Errorf("isFreemail(%s) = %v", d, got)
		}
	}
}
