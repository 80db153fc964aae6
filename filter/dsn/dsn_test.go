package dsn

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

func TestBuildParsesBack(t *testing.T) {
	orig := "Received: from x\r\nFrom: a@example.org\r\nSubject: order 42\r\nMessage-ID: <m1@example.org>\r\n\r\nbody must not appear\r\n"
	out := Build(Message{
		ReportingMTA: "relay.example.com",
		From:         "MAILER-DAEMON@relay.example.com",
		To:           "a@example.org",
		QueueID:      "abc123",
		Arrival:      time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Rcpts: []Recipient{
			{Addr: "x@example.com", Status: "5.1.1", RemoteMTA: "mx.example.com", Diagnostic: "smtp; 550 5.1.1 no such user\r\nInjected: yes"},
			{Addr: "y@example.com", Status: "4.4.7", Diagnostic: "smtp; 451 4.3.0 try later"},
		},
		Header: HeaderSection([]byte(orig), 1000),
	})
	if bytes.Contains(bytes.ReplaceAll(out, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatal("bare LF in output")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("To") != "<a@example.org>" || msg.Header.Get("Auto-Submitted") != "auto-replied" {
		t.Errorf("header %v", msg.Header)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("content-type %q %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	var parts [][]byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types = append(types, ct)
		parts = append(parts, b)
	}
	if strings.Join(types, ",") != "text/plain,message/delivery-status,text/rfc822-headers" {
		t.Fatalf("parts %v", types)
	}
	if !bytes.Contains(parts[0], []byte("<x@example.com>: host mx.example.com said: 550 5.1.1 no such user")) {
		t.Errorf("human part:\n%s", parts[0])
	}

	// message/delivery-status: per-message fields, then one group per
	// recipient, each parsed as a header block.
	tr := textproto.NewReader(bufio.NewReader(bytes.NewReader(parts[1])))
	perMsg, err := tr.ReadMIMEHeader()
	if err != nil {
		t.Fatal(err)
	}
	if perMsg.Get("Reporting-MTA") != "dns; relay.example.com" || perMsg.Get("Arrival-Date") == "" {
		t.Errorf("per-message fields %v", perMsg)
	}
	var groups []textproto.MIMEHeader
	for {
		h, err := tr.ReadMIMEHeader()
		if len(h) > 0 {
			groups = append(groups, h)
		}
		if err != nil {
			break
		}
	}
	if len(groups) != 2 {
		t.Fatalf("%d recipient groups: %v", len(groups), groups)
	}
	g := groups[0]
	if g.Get("Final-Recipient") != "rfc822; x@example.com" || g.Get("Action") != "failed" || g.Get("Status") != "5.1.1" ||
		g.Get("Remote-MTA") != "dns; mx.example.com" || g.Get("Diagnostic-Code") != "smtp; 550 5.1.1 no such user  Injected: yes" {
		t.Errorf("group 1 %v", g)
	}
	if g.Get("Injected") != "" {
		t.Error("a remote reply injected a field")
	}
	if groups[1].Get("Status") != "4.4.7" {
		t.Errorf("group 2 %v", groups[1])
	}
	if !bytes.Contains(parts[2], []byte("Subject: order 42")) || bytes.Contains(parts[2], []byte("body must not appear")) {
		t.Errorf("headers part:\n%s", parts[2])
	}
}

func TestHeaderSection(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"A: 1\r\nB: 2\r\n\r\nbody", "A: 1\r\nB: 2\r\n"},
		{"A: 1\nB: 2\n\nbody", "A: 1\nB: 2\n"},
		{"A: 1\r\nB: 2222222222\r\n", "A: 1\r\n"},
	} {
		if got := HeaderSection([]byte(tc.in), 12); string(got) != tc.want {
			t.Errorf("HeaderSection(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
