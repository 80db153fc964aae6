package auth

import (
	"testing"

	"github.com/emersion/go-message/textproto"
)

func header(fields ...string) textproto.Header {
	var h textproto.Header
	// Fields are given top first, as in the message; Add prepends.
	for i := len(fields) - 1; i >= 0; i-- {
		h.Add("Received", fields[i])
	}
	return h
}

func TestClientFromReceived(t *testing.T) {
	trusted := []string{"127.0.0.1", "::1", "10.0.0.0/8"}
	tests := []struct {
		name     string
		fields   []string
		ip, helo string
		ok       bool
	}{
		{"postfix with rDNS",
			[]string{"from mail.buyer.example (mail.buyer.example [192.0.2.10])\r\n\tby mx.everride-scooter.com (Postfix) with ESMTPS id 4ABC\r\n\tfor <sales@everride-scooter.com>; Tue, 10 Mar 2026 09:12:01 +0100 (CET)"},
			"192.0.2.10", "mail.buyer.example", true},
		{"postfix, unknown rDNS",
			[]string{"from pc01 (unknown [198.51.100.7]) by mx.everride-scooter.com (Postfix) with ESMTP id 1; Tue, 10 Mar 2026 09:12:01 +0100"},
			"198.51.100.7", "pc01", true},
		{"postfix IPv6",
			[]string{"from mx.buyer.example (mx.buyer.example [IPv6:2001:db8::25]) by mx (Postfix) with ESMTPS id 2"},
			"2001:db8::25", "mx.buyer.example", true},
		{"HELO is an address literal",
			[]string{"from [192.0.2.44] (unknown [192.0.2.44]) by mx (Postfix) with ESMTP id 3"},
			"192.0.2.44", "[192.0.2.44]", true},
		{"trusted hop skipped, next field read",
			[]string{
				"from localhost (localhost [127.0.0.1]) by mx (Postfix) with ESMTP id 5",
				"from relay.internal (relay.internal [10.1.2.3]) by gw (Postfix) with ESMTP id 6",
				"from mail.buyer.example (mail.buyer.example [192.0.2.10]) by gw2 (Postfix) id 7",
				"from forged.example (forged.example [203.0.113.9]) by evil id 8",
			},
			"192.0.2.10", "mail.buyer.example", true},
		{"exim style",
			[]string{"from [192.0.2.77] (helo=client.example) by mx with esmtp (Exim 4.96)"},
			"192.0.2.77", "client.example", true},
		{"no Received", nil, "", "", false},
		{"only trusted hops: a local submission",
			[]string{"from localhost (localhost [127.0.0.1]) by mx (Postfix) with ESMTP id 10"}, "", "", false},
		{"Postfix's own mail", []string{"by mx.everride-scooter.com (Postfix, from userid 0) id 11; Tue, 10 Mar 2026"}, "", "", false},
		{"unreadable top field", []string{"by mx.everride-scooter.com with LMTP id 9"}, "", "", false},
		{"no IP", []string{"from helo.example (helo.example) by mx"}, "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ip, helo, ok := ClientFromReceived(header(tc.fields...), trusted)
			if ok != tc.ok || helo != tc.helo || (tc.ok && ip.String() != tc.ip) {
				t.Errorf("got %v %q %v, want %s %q %v", ip, helo, ok, tc.ip, tc.helo, tc.ok)
			}
		})
	}
}

func TestIsOurs(t *testing.T) {
	id := "mx.everride-scooter.com"
	tests := []struct {
		value string
		want  bool
	}{
		{"mx.everride-scooter.com; dkim=pass header.d=evil.example", true},
		{"MX.Everride-Scooter.COM; spf=pass", true},
		{"  mx.everride-scooter.com 1; dmarc=pass", true},
		{"(forged) mx.everride-scooter.com; dkim=pass", true},
		{`"mx.everride-scooter.com"; none`, true},
		{"mx.everride-scooter.com.; none", true},
		{"mx.google.com; dkim=pass", false},
		{"mx.everride-scooter.com.evil.example; dkim=pass", false},
		{"; dkim=pass", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := IsOurs(tc.value, id); got != tc.want {
			t.Errorf("IsOurs(%q) = %v", tc.value, got)
		}
	}
}
