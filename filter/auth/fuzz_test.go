package auth

import (
	"testing"

	"github.com/emersion/go-message/textproto"
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
