package auth

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"

	"github.com/tradesift/tradesift/filter/dnsr"
)

func FuzzClientFromReceived(f *testing.F) {
	for _, s := range []string{
		"from mail.buyer.example (mail.buyer.example [192.0.2.10]) by mx (Postfix) with ESMTPS id 4ABC",
		"from x (unknown [IPv6:2001:db8::25]) by mx",
		"from [192.0.2.77] (helo=client.example) by mx with esmtp",
		"from [", "from a (b [", "from a (", "by mx id 1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		var h textproto.Header
		h.Add("Received", v)
		ip, _, ok := ClientFromReceived(h, []string{"127.0.0.1"})
		if ok && ip == nil {
			t.Fatal("ok without an IP")
		}
	})
}

func FuzzIsOurs(f *testing.F) {
	for _, s := range []string{"mx.example; dkim=pass", `"mx.example"; none`, "(c) mx.example 1; spf=fail", `("\`, `"\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		IsOurs(v, "mx.example")
	})
}

// FuzzCheck feeds odd messages through every check; the DNS server is a
// closed loopback port, so lookups fail at once (temperror).
func FuzzCheck(f *testing.F) {
	f.Add([]byte("From: a@b.example\r\nDKIM-Signature: v=1; a=rsa-sha256; d=b.example; s=s; h=from; bh=AAAA; b=AAAA\r\n\r\nbody\r\n"))
	f.Add([]byte("From: a@b.example, c@d.example\r\n\r\n"))
	f.Add([]byte("DKIM-Signature: v=1; d=\r\n\r\n"))
	f.Add([]byte("\r\n"))
	r, err := dnsr.New("127.0.0.1:1", dnsr.Options{Budget: 100 * time.Millisecond})
	if err != nil {
		f.Fatal(err)
	}
	c := NewWithResolver(testConfig(), r)
	f.Fuzz(func(t *testing.T, msg []byte) {
		h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(msg)))
		res := c.Check(context.Background(), Input{ClientIP: net.ParseIP("192.0.2.1"), Helo: "h.example", MailFrom: "a@b.example", Header: h}, bytes.NewReader(msg))
		// One field: continuation lines start with a tab, nothing else
		// breaks a line, and it ends with CRLF.
		unfolded := strings.ReplaceAll(res.HeaderLine, "\r\n\t", " ")
		if !strings.HasPrefix(res.HeaderLine, "Authentication-Results: ") || !strings.HasSuffix(unfolded, "\r\n") ||
			strings.ContainsAny(strings.TrimSuffix(unfolded, "\r\n"), "\r\n") {
			t.Fatalf("bad header line %q", res.HeaderLine)
		}
	})
}
