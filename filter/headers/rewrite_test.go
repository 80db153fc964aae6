package headers

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

const ours = "mx.example.com"

var prepend = []byte("Received: from a (b [127.0.0.1])\r\n\tby mx.example.com (tradesift) with ESMTP id 1; Fri, 27 Nov 2026 03:24:29 +0000\r\n")

func run(t *testing.T, in string, drop func(string, []byte) bool, lim Limits) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := Rewrite(&out, strings.NewReader(in), prepend, drop, lim)
	if err == nil && !bytes.HasPrefix(out.Bytes(), prepend) {
		t.Fatalf("output does not start with the prepended field:\n%q", out.String())
	}
	return strings.TrimPrefix(out.String(), string(prepend)), err
}

func TestRewriteDropsOwned(t *testing.T) {
	in := "Return-Path: <a@b>\r\n" +
		"X-Grade: A\r\n" +
		"Subject: folded\r\n  continues here\r\n" +
		"x-buyer-type: distributor\r\n" +
		"X-Buyer-Signals: a,\r\n\tb, c\r\n" +
		"X-Buyer-Anything : x\r\n" +
		"Authentication-Results: (comment) MX.Example.COM;\r\n spf=pass smtp.mailfrom=b\r\n" +
		"Authentication-Results: other.example; dkim=pass\r\n" +
		"Authentication-Results: \"mx.example.com\" 1; dkim=pass\r\n" +
		"X-Reply-Plan: quote\r\n" +
		"X-Gradez: kept\r\n" +
		"\r\n" +
		"X-Grade: in the body stays\r\n" +
		"body\n\r\n.. dots\r\n"
	want := "Return-Path: <a@b>\r\n" +
		"Subject: folded\r\n  continues here\r\n" +
		"Authentication-Results: other.example; dkim=pass\r\n" +
		"X-Gradez: kept\r\n" +
		"\r\n" +
		"X-Grade: in the body stays\r\n" +
		"body\n\r\n.. dots\r\n"
	got, err := run(t, in, Owned(ours), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestRewriteKeepsBytes(t *testing.T) {
	for _, in := range []string{
		"",
		"\r\n",
		"\r\nbody only",
		"Subject: x",
		"Subject: x\r\n",
		"Subject: x\nFrom: y\n\nLF body\n",
		"no header line\r\nSubject: not a header\r\n\r\n",
		" leading space\r\nX-Grade: A\r\n",
		"Subject: a\r\nnot a field\r\nX-Grade: A\r\n\r\n",
		"Subject: =?utf-8?q?h=C3=A9?=\r\n\t\r\n\r\n\x00\xff binary\r\n",
	} {
		// Without prepend and drop, Rewrite is the identity.
		var out bytes.Buffer
		err := Rewrite(&out, strings.NewReader(in), nil, nil, Limits{})
		if err != nil || out.String() != in {
			t.Errorf("%q: got %q, %v", in, out.String(), err)
		}
	}
}

func TestRewriteNoHeader(t *testing.T) {
	for in, want := range map[string]string{
		" From: starts with white space\r\nSubject: x\r\n\r\nbody\r\n": "\r\n",
		"just text\r\n": "\r\n",
		"\r\nbody\r\n":  "",
		"":              "",
	} {
		got, err := run(t, in, Owned(ours), Limits{})
		if err != nil || got != want+in {
			t.Errorf("%q: got %q, %v", in, got, err)
		}
	}
}

func TestRewriteHeaderEndsAtNonField(t *testing.T) {
	// Like Postfix's cleanup: the first line that is not a field starts
	// the body, and what follows is not treated as a header.
	in := "Subject: a\r\nnot a field\r\nX-Grade: A\r\n\r\n"
	got, err := run(t, in, Owned(ours), Limits{})
	if err != nil || got != in {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestRewriteLimits(t *testing.T) {
	many := strings.Repeat("X-F: v\r\n", 10000) + "\r\nbody\r\n"
	long := "Subject: " + strings.Repeat("a", 1<<20) + "\r\n\r\nbody\r\n"
	longFolded := "Subject: a\r\n" + strings.Repeat(" "+strings.Repeat("b", 900)+"\r\n", 2000) + "\r\n"
	for _, tc := range []struct {
		name string
		in   string
		lim  Limits
		kind LimitKind
	}{
		{"fields", many, Limits{MaxFields: 1000}, FieldCount},
		{"line", long, Limits{MaxLineLength: 998}, LineLength},
		{"size", long, Limits{MaxHeaderBytes: 64 << 10}, HeaderSize},
		{"folded size", longFolded, Limits{MaxHeaderBytes: 64 << 10, MaxLineLength: 998}, HeaderSize},
		{"fields size", many, Limits{MaxHeaderBytes: 1024}, HeaderSize},
	} {
		_, err := run(t, tc.in, nil, tc.lim)
		var le *LimitError
		if !errors.As(err, &le) || le.Kind != tc.kind {
			t.Errorf("%s: got %v, want limit kind %d", tc.name, err, tc.kind)
		} else if le.Error() == "" {
			t.Errorf("%s: empty message", tc.name)
		}
	}
	// Within the limits: the body is not limited.
	in := "Subject: a\r\n\r\n" + strings.Repeat(strings.Repeat("z", 5000)+"\r\n", 100)
	got, err := run(t, in, nil, Limits{MaxHeaderBytes: 100, MaxLineLength: 998, MaxFields: 1})
	if err != nil || got != in {
		t.Errorf("body limited: %v", err)
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestRewriteErrors(t *testing.T) {
	in := "Subject: a\r\n\r\n" + strings.Repeat("body\r\n", 100000)
	err := Rewrite(&failWriter{n: 1000}, strings.NewReader(in), prepend, nil, Limits{})
	var we *WriteError
	if !errors.As(err, &we) {
		t.Errorf("write failure: got %v, want *WriteError", err)
	}
	readErr := errors.New("connection reset")
	for _, cut := range []int{5, 20, 5000} {
		r := io.MultiReader(strings.NewReader(in[:cut]), iotest.ErrReader(readErr))
		err = Rewrite(io.Discard, r, prepend, nil, Limits{})
		if err != readErr {
			t.Errorf("read failure at %d: got %v, want the reader's error unwrapped", cut, err)
		}
	}
}

func TestOwnedAuthservID(t *testing.T) {
	for v, want := range map[string]string{
		" mx.example.com; spf=pass":           "mx.example.com",
		"mx.example.com 1; none":              "mx.example.com",
		" (c (nested) \\) x) mx.example.com;": "mx.example.com",
		"\r\n\tmx.example.com(comment);":      "mx.example.com",
		" \"mx.example.com\";":                "mx.example.com",
		" ;":                                  "",
		"":                                    "",
		" mx.example.com.; none":              "mx.example.com.",
		" mx.example.com.evil.example; dkim=pass": "mx.example.com.evil.example",
	} {
		if got := AuthservID([]byte(v)); got != want {
			t.Errorf("AuthservID(%q) = %q, want %q", v, got, want)
		}
	}
	drop := Owned(ours)
	if !drop("Authentication-Results", []byte(" mx.example.com.; none")) {
		t.Error("trailing dot of our id not dropped")
	}
	if drop("Authentication-Results", []byte(" mx.example.com.evil.example; none")) {
		t.Error("longer id dropped")
	}
	if Owned("")("Authentication-Results", []byte(" ; none")) {
		t.Error("empty id dropped everything")
	}
	if drop("X-Buyer", nil) || drop("Received", nil) || !drop("X-BUYER-REP", nil) {
		t.Error("name matching")
	}
}

func TestReceived(t *testing.T) {
	tm := time.Date(2026, 11, 27, 3, 24, 29, 0, time.UTC)
	got := string(Received(Trace{
		Helo: "evil\r\nX-Grade: A (x)", ClientIP: net.ParseIP("192.0.2.1"), Hostname: "mx.example.com",
		ESMTP: true, ID: "ABC123", For: "sales@example.com", Time: tm,
	}))
	want := "Received: from evil??X-Grade:?A??x? (unknown [192.0.2.1])\r\n" +
		"\tby mx.example.com (tradesift) with ESMTP id ABC123\r\n" +
		"\tfor <sales@example.com>; Fri, 27 Nov 2026 03:24:29 +0000 (UTC)\r\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	got = string(Received(Trace{Helo: "[IPv6:::1]", ClientIP: net.ParseIP("::1"), ClientName: "localhost", Hostname: "h", UTF8: true, Time: tm}))
	if !strings.HasPrefix(got, "Received: from [IPv6:::1] (localhost [IPv6:::1])\r\n\tby h (tradesift) with UTF8SMTP; ") {
		t.Errorf("got %q", got)
	}
	// The field must itself parse as one field for Rewrite.
	var out bytes.Buffer
	n := 0
	if err := Rewrite(&out, strings.NewReader(got+"\r\n"), nil, func(string, []byte) bool { n++; return false }, Limits{}); err != nil || n != 1 {
		t.Errorf("Received is %d fields, %v", n, err)
	}
}

func BenchmarkRewrite(b *testing.B) {
	var msg bytes.Buffer
	msg.WriteString("Received: from mail.buyer.example (mail.buyer.example [198.51.100.7])\r\n\tby mx.example.com with ESMTPS id 4Xz; Fri, 27 Nov 2026 03:24:29 +0000\r\n")
	msg.WriteString("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=buyer.example; s=sel;\r\n\th=from:to:subject:date; bh=abcdefghijklmnopqrstuvwxyz0123456789=;\r\n\tb=" + strings.Repeat("Q", 300) + "\r\n")
	msg.WriteString("Authentication-Results: mx.example.com; spf=pass\r\nX-Grade: A\r\n")
	for i := 0; i < 12; i++ {
		msg.WriteString("X-Header-Number: some value that is moderately long\r\n")
	}
	msg.WriteString("From: Buyer <buyer@buyer.example>\r\nTo: sales@example.com\r\nSubject: Inquiry\r\nMessage-ID: <1@buyer.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	for msg.Len() < 10<<10 {
		msg.WriteString("We would like a quotation for 500 units of your product, delivered to Rotterdam.\r\n")
	}
	data := msg.Bytes()
	drop := Owned(ours)
	lim := Limits{MaxHeaderBytes: 1 << 20, MaxFields: 1000, MaxLineLength: 8192}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	r := bytes.NewReader(data)
	for b.Loop() {
		r.Reset(data)
		if err := Rewrite(io.Discard, r, prepend, drop, lim); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRewriteMboxFromLine(t *testing.T) {
	in := "From buyer@client.example.net Fri Nov 27 03:24:29 2026\nX-Grade: A\nSubject: s\n\nX-Grade: body\n"
	want := "From buyer@client.example.net Fri Nov 27 03:24:29 2026\nSubject: s\n\nX-Grade: body\n"
	got, err := run(t, in, Owned(ours), Limits{})
	if err != nil || got != want {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestRewriteHops(t *testing.T) {
	in := strings.Repeat("Received: from a by b; Fri, 27 Nov 2026 03:24:29 +0000\r\n", 51) + "\r\nbody\r\n"
	_, err := run(t, in, nil, Limits{MaxHops: 50})
	var le *LimitError
	if !errors.As(err, &le) || le.Kind != Hops || !strings.Contains(le.Error(), "loop") {
		t.Errorf("51 Received: got %v", err)
	}
	if _, err := run(t, in, nil, Limits{MaxHops: 51}); err != nil {
		t.Errorf("51 Received, limit 51: %v", err)
	}
}
