package decode

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// render prints the decoded view of a message for golden comparison.
func render(m *Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Subject: %s\n", m.Subject)
	fmt.Fprintf(&b, "From: %q <%s>\n", m.From.Name, m.From.Addr)
	for _, a := range m.To {
		fmt.Fprintf(&b, "To: %q <%s>\n", a.Name, a.Addr)
	}
	for _, a := range m.ReplyTo {
		fmt.Fprintf(&b, "Reply-To: %q <%s>\n", a.Name, a.Addr)
	}
	if m.HasDate {
		fmt.Fprintf(&b, "Date: %s\n", m.Date.Format("2006-01-02 15:04:05 -0700"))
	}
	fmt.Fprintf(&b, "Message-ID: %s\n", m.MessageID)
	fmt.Fprintf(&b, "In-Reply-To: %s\n", strings.Join(m.InReplyTo, " "))
	fmt.Fprintf(&b, "MediaType: %s\n", m.MediaType)
	fmt.Fprintf(&b, "Parts: %s\n", strings.Join(m.Parts, " "))
	fmt.Fprintf(&b, "Charsets: %s\n", strings.Join(m.Charsets, " "))
	for _, a := range m.Attachments {
		fmt.Fprintf(&b, "Attachment: %q %s %d\n", a.Filename, a.ContentType, a.Size)
	}
	fmt.Fprintf(&b, "Problems: %s\n", strings.Join(m.Problems, " "))
	fmt.Fprintf(&b, "=== Text\n%s\n=== Signature\n%s\n=== Quoted\n%s\n", m.Text, m.Signature, m.Quoted)
	return b.String()
}

// TestGolden decodes testdata/*.eml (copies of project corpus messages:
// gb2312, gbk, gb18030, big5, koi8-r, windows-1251, iso-2022-jp, euc-kr,
// base64, quoted-printable, HTML only, multipart/report, message/rfc822,
// quoted replies) and compares with testdata/*.golden. Run with -update to
// rewrite the golden files after a deliberate change, and review the diff.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(bytes.NewReader(b), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got := render(m)
			gf := strings.TrimSuffix(f, ".eml") + ".golden"
			if *update {
				if err := os.WriteFile(gf, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(gf)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if got != string(want) {
				t.Errorf("decoded view differs from %s:\n%s", gf, lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff shows the first differing lines of two texts.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant %q\ngot  %q", i+1, w, g)
		}
	}
	return ""
}

// TestGoldenSpotChecks pins the facts the classifier depends on, so that a
// careless -update cannot hide a regression in them.
func TestGoldenSpotChecks(t *testing.T) {
	cases := []struct {
		file, subject, from, charsets string
		text, sig, quoted             []string
		attach                        string
		mediaType                     string
	}{
		{file: "corpus-d001.eml", subject: "RFQ - ER-K200 adult kick scooter, 2,000 pcs FOB Ningbo", from: "msorensen@trailheadoutdoor.com", charsets: "utf-8",
			text: []string{"Quantity: 2,000 pcs total", "FOB Ningbo"}, sig: []string{"Trailhead Outdoor Supply, Inc.", "Tel +1 651 555 0148", "www.trailheadoutdoor.com"},
			attach: "Trailhead_draft_PO_ER-K200.xlsx", mediaType: "multipart/mixed"},
		{file: "corpus-d016.eml", subject: "詢問 ER-K200 及零件型錄與價格", from: "hongqi.lin@yahoo.com.tw", charsets: "big5",
			text: []string{"宏騏企業社", "最優惠價格"}, sig: []string{"林志豪"}},
		{file: "corpus-d018.eml", subject: "Запрос прайс-листа на запчасти для самокатов", from: "o.kovaleva@velodetal.by", charsets: "koi8-r",
			text: []string{"маркетинговое исследование"}, sig: []string{"С уважением", "www.velodetal.by", "+375 17 355-42-18"}},
		{file: "corpus-d038.eml", subject: "ScootWorld返单报价请示 - ER-K200 1x40HQ", from: "lily.chen@everride-scooter.com", charsets: "gb2312",
			text: []string{"一个40HQ共1800台"}},
		{file: "corpus-027.eml", subject: "ER-X Pro お見積りのお願い（400台・オリジナル化粧箱）", from: "k.fujimoto@minato-sports.co.jp", charsets: "iso-2022-jp",
			text: []string{"数量：400台"}, sig: []string{"TEL 045-555-0136"}},
		{file: "corpus-055.eml", subject: "전동킥보드 ER-E8 관련 문의 (2027년 대여 사업 준비)", charsets: "euc-kr", text: []string{"ER-E8의 최소 주문 수량"}, sig: []string{"www.hanbitleisure.co.kr"}},
		{file: "corpus-070.eml", charsets: "gb18030", text: []string{"同学打算12月13日"}},
		{file: "corpus-053.eml", charsets: "windows-1251", text: []string{"Количество: 700 шт."}},
		{file: "corpus-d003.eml", mediaType: "text/html", text: []string{"- Quantity: 200 units for the first order", "- Terms: CIF Sydney"}, sig: []string{"Ph +61 2 4929 5501"}},
		{file: "corpus-d037.eml", mediaType: "multipart/report", text: []string{"Recipient address"}, attach: ""},
		{file: "corpus-015.eml", charsets: "gbk us-ascii", text: []string{"转发美国 Pacific Trail Outfitters"}, quoted: []string{"Forwarded message", "From: Derek Lindqvist", "USD 42.00 FOB"},
			attach: "RE_ Quotation ER-X Pro 600 pcs - Everride.eml"},
		{file: "corpus-003.eml", charsets: "iso-8859-1", text: []string{"Mindestbestellmenge für den ER-K200"}, quoted: []string{"-----Ursprüngliche Nachricht-----", "Verkaufspreis um 99 Euro"}},
		{file: "corpus-062.eml", text: []string{"Остаток 70% оплатим"}, quoted: []string{"> Your 700 pcs ER-Snow"}},
	}
	for _, c := range cases {
		b, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse(bytes.NewReader(b), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if c.subject != "" && m.Subject != c.subject {
			t.Errorf("%s: subject %q, want %q", c.file, m.Subject, c.subject)
		}
		if c.from != "" && m.From.Addr != c.from {
			t.Errorf("%s: from %q, want %q", c.file, m.From.Addr, c.from)
		}
		if c.charsets != "" && strings.Join(m.Charsets, " ") != c.charsets {
			t.Errorf("%s: charsets %v, want %q", c.file, m.Charsets, c.charsets)
		}
		if c.mediaType != "" && m.MediaType != c.mediaType {
			t.Errorf("%s: media type %q, want %q", c.file, m.MediaType, c.mediaType)
		}
		for _, s := range c.text {
			if !strings.Contains(m.Text, s) {
				t.Errorf("%s: Text lacks %q", c.file, s)
			}
		}
		for _, s := range c.sig {
			if !strings.Contains(m.Signature, s) {
				t.Errorf("%s: Signature lacks %q", c.file, s)
			}
		}
		for _, s := range c.quoted {
			if !strings.Contains(m.Quoted, s) {
				t.Errorf("%s: Quoted lacks %q", c.file, s)
			}
			if strings.Contains(m.Text, s) {
				t.Errorf("%s: Text holds quoted %q", c.file, s)
			}
		}
		if c.attach != "" {
			found := false
			for _, a := range m.Attachments {
				found = found || a.Filename == c.attach
			}
			if !found {
				t.Errorf("%s: no attachment %q in %+v", c.file, c.attach, m.Attachments)
			}
		}
	}
}
