package decode

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

func hasProblem(m *Message, tok string) bool {
	for _, p := range m.Problems {
		if p == tok {
			return true
		}
	}
	return false
}

func mustParse(t testing.TB, s string) *Message {
	t.Helper()
	m, err := Parse(strings.NewReader(s), Limits{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

const hdr = "From: Buyer <buyer@Example.COM>\r\nTo: sales@everride-scooter.com\r\nSubject: test\r\nDate: Mon, 2 Feb 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n"

func TestNoHeader(t *testing.T) {
	for _, in := range []string{"", "just some text\nwithout a header\n", "\x00\x01\x02"} {
		if _, err := Parse(strings.NewReader(in), Limits{}); !errors.Is(err, ErrNoHeader) {
			t.Errorf("Parse(%q) err = %v, want ErrNoHeader", in, err)
		}
	}
}

func TestEmptyBody(t *testing.T) {
	m := mustParse(t, hdr+"\r\n")
	if !hasProblem(m, ProblemEmptyBody) || m.Text != "" {
		t.Errorf("problems %v, text %q", m.Problems, m.Text)
	}
	if m.From.Addr != "buyer@example.com" || m.From.Name != "Buyer" {
		t.Errorf("From = %+v", m.From)
	}
	// A header without the empty line and without a body.
	m = mustParse(t, "From: a@b.c\r\nSubject: x")
	if !hasProblem(m, ProblemEmptyBody) || m.Subject != "x" {
		t.Errorf("problems %v, subject %q", m.Problems, m.Subject)
	}
}

func TestMissingBoundary(t *testing.T) {
	m := mustParse(t, hdr+"Content-Type: multipart/mixed\r\n\r\nHello, we need 500 pcs of ER-K200.\r\n")
	if !hasProblem(m, ProblemMalformedMIME) || !strings.Contains(m.Text, "500 pcs") {
		t.Errorf("problems %v, text %q", m.Problems, m.Text)
	}
	// A boundary that never appears: the body is read as text.
	m = mustParse(t, hdr+"Content-Type: multipart/mixed; boundary=XYZ\r\n\r\nHello, we need 500 pcs of ER-K200.\r\n")
	if !hasProblem(m, ProblemMalformedMIME) || !strings.Contains(m.Text, "500 pcs") {
		t.Errorf("problems %v, text %q", m.Problems, m.Text)
	}
	// No closing boundary, and junk between parts.
	m = mustParse(t, hdr+"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nfirst\r\n--B\r\n\r\nsecond\r\n")
	if !strings.Contains(m.Text, "first") || !strings.Contains(m.Text, "second") {
		t.Errorf("problems %v, text %q", m.Problems, m.Text)
	}
}

func TestUnknownCharset(t *testing.T) {
	m := mustParse(t, hdr+"Content-Type: text/plain; charset=x-klingon\r\nContent-Transfer-Encoding: 8bit\r\n\r\nPrice for ER-K200 caf\xe9 \xc3\xa9\r\n")
	if !hasProblem(m, ProblemUnknownCharset) {
		t.Errorf("problems %v", m.Problems)
	}
	if m.Text != "Price for ER-K200 café é" {
		t.Errorf("text %q", m.Text)
	}
	if len(m.Charsets) != 1 || m.Charsets[0] != "x-klingon" {
		t.Errorf("charsets %v", m.Charsets)
	}
	m = mustParse(t, "From: a@b.c\r\nSubject: =?x-klingon?Q?Hallo_Welt?=\r\n\r\nbody\r\n")
	if m.Subject != "Hallo Welt" || !hasProblem(m, ProblemBadHeaderEncoding) {
		t.Errorf("subject %q problems %v", m.Subject, m.Problems)
	}
}

func TestDeepNesting(t *testing.T) {
	var b strings.Builder
	b.WriteString(hdr)
	const levels = 1000
	b.WriteString("Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", i-1, i)
	}
	fmt.Fprintf(&b, "--b%d\r\nContent-Type: text/plain\r\n\r\ndeep text\r\n--b%d--\r\n", levels-1, levels-1)
	for i := levels - 2; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	start := time.Now()
	m := mustParse(t, b.String())
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
	if !hasProblem(m, ProblemTooDeep) {
		t.Errorf("problems %v", m.Problems)
	}
}

func TestTooManyParts(t *testing.T) {
	var b strings.Builder
	b.WriteString(hdr + "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nhello\r\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, "--B\r\nContent-Type: image/png; name=\"p%d.png\"\r\n\r\nxx\r\n", i)
	}
	b.WriteString("--B--\r\n")
	m := mustParse(t, b.String())
	if !hasProblem(m, ProblemTooManyParts) || m.Text != "hello" || len(m.Attachments) >= 200 {
		t.Errorf("problems %v, text %q, %d attachments", m.Problems, m.Text, len(m.Attachments))
	}
}

func TestHTMLBomb(t *testing.T) {
	body := strings.Repeat("<div>", 200000) + "deep" + strings.Repeat("&amp;&lt;&#x41;", 300000) + strings.Repeat("</div>", 200000)
	start := time.Now()
	m := mustParse(t, hdr+"Content-Type: text/html\r\n\r\n"+body)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	if !strings.HasPrefix(m.Text, "deep&<A&<A") {
		t.Errorf("text starts %q", m.Text[:min(len(m.Text), 40)])
	}
	if n := len(m.Text) + len(m.Signature) + len(m.Quoted); n > 256<<10 {
		t.Errorf("kept %d bytes of text", n)
	}
	if !hasProblem(m, ProblemTruncated) {
		t.Errorf("problems %v", m.Problems)
	}
}

func TestHTMLToText(t *testing.T) {
	in := `<html><head><title>T</title><style>p{color:red}</style></head><body>
<p>Dear&nbsp;Sir,</p><script>alert(1)</script>
<p>We need <b>500 pcs</b> of ER-K200.<br>FOB Ningbo.</p>
<ul><li>one</li><li>two</li></ul>
<table><tr><td>Tel:</td><td>+1 555 0100</td></tr></table>
<blockquote>old text<br>more old</blockquote></body></html>`
	got, cut := htmlToText([]byte(in), 1<<20)
	want := "Dear Sir,\n\nWe need 500 pcs of ER-K200.\nFOB Ningbo.\n\n- one\n- two\n\nTel: +1 555 0100\n\n> old text\n> more old"
	if got != want || cut {
		t.Errorf("htmlToText =\n%q\nwant\n%q", got, want)
	}
}

func TestNULAndBareLF(t *testing.T) {
	in := "From: a@b.c\nSubject: nul\x00 test\nContent-Type: multipart/alternative; boundary=\"x\"\n\n--x\nContent-Type: text/plain\n\nline\x00one\nline two\n--x\nContent-Type: text/html\n\n<p>html</p>\n--x--\n"
	m := mustParse(t, in)
	if m.Text != "lineone\nline two" || m.Subject != "nul test" {
		t.Errorf("text %q subject %q problems %v", m.Text, m.Subject, m.Problems)
	}
	if strings.Join(m.Parts, ",") != "text/plain,text/html" {
		t.Errorf("parts %v", m.Parts)
	}
}

func TestHugeHeader(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@b.c\r\nX-Long: " + strings.Repeat("x", 1<<20) + "\r\n")
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&b, "X-F%d: v\r\n", i)
	}
	b.WriteString("Subject: late\r\n\r\nbody\r\n")
	start := time.Now()
	m := mustParse(t, b.String())
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
	if !hasProblem(m, ProblemHeaderTooBig) || m.Text != "body" || m.From.Addr != "a@b.c" {
		t.Errorf("problems %v text %q from %+v", m.Problems, m.Text, m.From)
	}
}

func TestOnlyAttachment(t *testing.T) {
	m := mustParse(t, hdr+"Content-Type: application/pdf; name=\"catalog.pdf\"\r\nContent-Disposition: attachment; filename=\"catalog.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n")
	if !hasProblem(m, ProblemAttachmentOnly) || len(m.Attachments) != 1 || m.Attachments[0].Filename != "catalog.pdf" || m.Attachments[0].ContentType != "application/pdf" {
		t.Errorf("problems %v attachments %+v", m.Problems, m.Attachments)
	}
}

// big25MB builds a message with a short text part and a 25 MB base64
// attachment.
func big25MB() []byte {
	var b bytes.Buffer
	b.WriteString(hdr + "Content-Type: multipart/mixed; boundary=\"=_big\"\r\n\r\n--=_big\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease see the attached drawings, we need 2,000 pcs ER-K200.\r\n\r\nBest regards,\r\nJohn\r\n--=_big\r\nContent-Type: application/zip; name=\"drawings.zip\"\r\nContent-Disposition: attachment; filename=\"drawings.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	raw := make([]byte, 57)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	line := base64.StdEncoding.EncodeToString(raw) + "\r\n"
	for b.Len() < 25<<20 {
		b.WriteString(line)
	}
	b.WriteString("--=_big--\r\n")
	return b.Bytes()
}

func TestBigAttachment(t *testing.T) {
	msg := big25MB()
	start := time.Now()
	m, err := Parse(bytes.NewReader(msg), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("25 MB message parsed in %v", time.Since(start))
	if m.Text != "Please see the attached drawings, we need 2,000 pcs ER-K200." || m.Signature != "Best regards,\nJohn" {
		t.Errorf("text %q sig %q", m.Text, m.Signature)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Size < 25<<20-1000 {
		t.Errorf("attachments %+v", m.Attachments)
	}
	if len(m.Problems) != 0 {
		t.Errorf("problems %v", m.Problems)
	}
	// With a read limit the rest is left unread and flagged.
	m, err = Parse(bytes.NewReader(msg), Limits{MaxReadBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if !hasProblem(m, ProblemTruncated) || m.Text == "" {
		t.Errorf("problems %v text %q", m.Problems, m.Text)
	}
}

type errReader struct{ r io.Reader }

func (e *errReader) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if err == io.EOF {
		return n, errors.New("disk on fire")
	}
	return n, err
}

func TestReadError(t *testing.T) {
	m, err := Parse(&errReader{strings.NewReader(hdr + "\r\nhello\r\n")}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasProblem(m, ProblemReadError) || m.Text != "hello" {
		t.Errorf("problems %v text %q", m.Problems, m.Text)
	}
}

func TestParseDate(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Mon, 2 Feb 2026 10:00:00 +0100", "2026-02-02 10:00:00 +0100"},
		{"Mon, 2 Feb 2026 10:00:00 +0100 (CET)", "2026-02-02 10:00:00 +0100"},
		{"2 Feb 2026 10:00 -0500", "2026-02-02 10:00:00 -0500"},
		{"Sat, 8 Jun 2002 1:5:13 +-0500", "2002-06-08 01:05:13 -0500"},
		{"Thu, 18 Jul 2002 14:57:14 +-0800 MSG_ID_ADDED_BY_MTA_3,MISSING_MIMEOLE", "2002-07-18 14:57:14 -0800"},
		{"Fri, 02 Aug 2002 23:37:59 0530", "2002-08-02 23:37:59 +0530"},
		{"Fri, 30 Aug 02 21:48:08 Eastern Daylight Time", "2002-08-30 21:48:08 +0000"},
		{"2002/09/14 Sat 02:29:32 CDT", "2002-09-14 02:29:32 -0500"},
		{"27 Jun 01 3:36:25 AM", "2001-06-27 03:36:25 +0000"},
		{"Tue, 3 Dec 2002 11:51:12 PM GMT+0800", "2002-12-03 23:51:12 +0800"},
		{"Whenever", ""},
		{"Wed, 15 Dec 2010    59:10 -0500", ""},
	}
	for _, c := range cases {
		d, ok := parseDate(c.in)
		got := ""
		if ok {
			got = d.Format("2006-01-02 15:04:05 -0700")
		}
		if got != c.want {
			t.Errorf("parseDate(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestAddresses(t *testing.T) {
	m := mustParse(t, "From: =?gb2312?B?1cXI/Q==?= <Zhang.San@Example.CN>\r\n"+
		"To: \"Sales, Team\" <sales@everride-scooter.com>, info@everride-scooter.com\r\n"+
		"Reply-To: broken <reply@buyer.com\r\n"+
		"Cc: undisclosed-recipients:;\r\n"+
		"Return-Path: <Bounce@Buyer.COM>\r\n"+
		"Message-ID: <abc@x>\r\nIn-Reply-To: <p1@y>\r\nReferences: <p0@y> <p1@y>\r\n\r\nhi\r\n")
	if m.From.Name != "张三" || m.From.Addr != "Zhang.San@example.cn" {
		t.Errorf("From %+v", m.From)
	}
	if len(m.To) != 2 || m.To[0].Name != "Sales, Team" || m.To[1].Addr != "info@everride-scooter.com" {
		t.Errorf("To %+v", m.To)
	}
	if len(m.ReplyTo) != 1 || m.ReplyTo[0].Addr != "reply@buyer.com" || m.ReplyTo[0].Name != "broken" {
		t.Errorf("Reply-To %+v", m.ReplyTo)
	}
	if m.ReturnPath != "Bounce@buyer.com" || m.MessageID != "abc@x" || strings.Join(m.InReplyTo, ",") != "p1@y" || strings.Join(m.References, ",") != "p0@y,p1@y" {
		t.Errorf("Return-Path %q, IDs %q %v %v", m.ReturnPath, m.MessageID, m.InReplyTo, m.References)
	}
}

func TestEncodedWords(t *testing.T) {
	cases := []struct{ in, want string }{
		{"=?utf-8?B?5Lu3?= =?utf-8?B?5qC8?=", "价格"},
		// A character split across two words.
		{"=?utf-8?B?5Lu35g==?= =?utf-8?B?oLw=?=", "价格"},
		{"=?ISO-8859-1?Q?Preisanfrage_f=FCr_Roller?=", "Preisanfrage für Roller"},
		{"Re: =?koi8-r?B?9MXT1A==?= ok", "Re: Тест ok"},
		{"=?iso-2022-jp?B?GyRCJUYlOSVIGyhC?=", "テスト"},
		{"=?big5?B?pV+oyg==?=", "北京"},
		{"=?windows-1251?Q?=D2=E5=F1=F2?=", "Тест"},
		{"=?shift_jis?B?g2WDWINn?=", "テスト"},
		{"=?euc-kr?B?xde9usau?=", "테스트"},
		{"plain =? not a word", "plain =? not a word"},
	}
	for _, c := range cases {
		if got, _ := decodeWords(c.in, ""); got != c.want {
			t.Errorf("decodeWords(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestHTMLWithoutContentType(t *testing.T) {
	m := mustParse(t, "From: a@b.c\r\nSubject: x\r\n\r\n<html><body><p>Buy now</p><p>Cheap</p></body></html>\r\n")
	if m.Text != "Buy now\n\nCheap" {
		t.Errorf("text %q", m.Text)
	}
}

type panicReader struct{ n int }

func (p *panicReader) Read(b []byte) (int, error) {
	if p.n > 0 {
		panic("boom")
	}
	p.n++
	return copy(b, "From: a@b.c\r\nSubject: x\r\n\r\nhello\r\n"), nil
}

func TestParseRecovers(t *testing.T) {
	m, err := Parse(&panicReader{}, Limits{})
	if err != nil || m == nil || !hasProblem(m, ProblemInternal) {
		t.Errorf("m %v err %v", m, err)
	}
}

func TestTransferEncodingVariants(t *testing.T) {
	for _, cte := range []string{"quoted-printable", "Quoted-Printable;", "quoted printable", "QUOTED-PRINTABLE"} {
		m := mustParse(t, "From: a@b.c\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "+cte+"\r\n\r\nPrix =C3=A0 la pi=C3=A8ce=\r\n, size=3D2 <font size=2>\r\n")
		if m.Text != "Prix à la pièce, size=2 <font size=2>" || len(m.Problems) != 0 {
			t.Errorf("%q: text %q problems %v", cte, m.Text, m.Problems)
		}
	}
	for _, cte := range []string{"8bits", "7-bit", "8 bit", "binary", ""} {
		m := mustParse(t, "From: a@b.c\r\nContent-Transfer-Encoding: "+cte+"\r\n\r\nplain\r\n")
		if m.Text != "plain" || len(m.Problems) != 0 {
			t.Errorf("%q: text %q problems %v", cte, m.Text, m.Problems)
		}
	}
	m := mustParse(t, "From: a@b.c\r\nContent-Transfer-Encoding: x-uuencode-ish\r\n\r\nplain\r\n")
	if m.Text != "plain" || !hasProblem(m, ProblemBadTransferEncoding) {
		t.Errorf("text %q problems %v", m.Text, m.Problems)
	}
	// base64 with blanks, missing padding, several runs.
	m = mustParse(t, "From: a@b.c\r\nContent-Transfer-Encoding: base64\r\n\r\n SGVsbG8s IHdvcmxk\r\nIQ\r\n")
	if m.Text != "Hello, world!" {
		t.Errorf("text %q problems %v", m.Text, m.Problems)
	}
	m = mustParse(t, "From: a@b.c\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8=\r\nLCB3b3JsZA==\r\n")
	if m.Text != "Hello, world" {
		t.Errorf("text %q problems %v", m.Text, m.Problems)
	}
}

// TestPartHeaderBomb: go-message reads part headers without a limit; the
// guard cuts them, so a 30 MB header line in a part costs no more than a
// 30 MB attachment.
func TestPartHeaderBomb(t *testing.T) {
	in := hdr + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n--b\r\nX-Big: " +
		strings.Repeat("a", 30<<20) + "\r\n continued\r\nContent-Type: text/plain\r\n\r\nsecond\r\n--b--\r\n"
	start := time.Now()
	m := mustParse(t, in)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	if m.Text != "first part\n\nsecond" || !hasProblem(m, ProblemHeaderTooBig) {
		t.Errorf("text %q problems %v", m.Text, m.Problems)
	}
}

func TestBrokenPartHeaders(t *testing.T) {
	cases := []struct{ in, text string }{
		// A line that is not a field, followed by fields: dropped.
		{"From: a@b.c\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nfirst\n--b\nContent-Type: text/plain\nBroken line\nX-Other: 1\n\nsecond\n--b\nContent-Type: text/plain\n\nthird\n--b--\n", "first\n\nsecond\n\nthird"},
		// No empty line between the part header and its body.
		{"From: a@b.c\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\nHello there,\nplease quote.\n--b--\n", "Hello there,\nplease quote."},
		// A continuation line first.
		{"From: a@b.c\nContent-Type: multipart/mixed; boundary=b\n\n--b\n  stray\nContent-Type: text/plain\n\nbody\n--b--\n", "body"},
	}
	for _, c := range cases {
		m := mustParse(t, c.in)
		if m.Text != c.text || !hasProblem(m, ProblemMalformedHeader) {
			t.Errorf("text %q problems %v, want %q", m.Text, m.Problems, c.text)
		}
	}
}
