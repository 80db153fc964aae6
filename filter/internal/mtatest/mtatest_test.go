package mtatest

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

func TestToCRLF(t *testing.T) {
	got := ToCRLF([]byte("From x Mon\nA: b\n\nbody\r\nmore"))
	want := "A: b\r\n\r\nbody\r\nmore\r\n"
	if string(got) != want {
		t.Errorf("ToCRLF = %q, want %q", got, want)
	}
}

func TestSplitAdded(t *testing.T) {
	sent := []byte("Received: from a\r\nSubject: x\r\n\r\nbody\r\n")
	out := append([]byte("Received: from us\r\n\tby us\r\nX-Buyer-Type: none\r\n"), sent...)
	p, err := SplitAdded(out, sent)
	if err != nil {
		t.Fatal(err)
	}
	if names, _ := FieldNames(p); len(names) != 2 {
		t.Errorf("names %v", names)
	}
	if _, err := SplitAdded(append([]byte("Subject: forged\r\n"), sent...), sent); err == nil {
		t.Error("Subject accepted as added field")
	}
	if _, err := SplitAdded(bytes.Replace(out, []byte("body"), []byte("bodY"), 1), sent); err == nil {
		t.Error("changed body accepted")
	}
}

// TestSinkAndPostfix checks the harness itself: a private Postfix relays
// to smtp-sink, which dumps the message.
func TestSinkAndPostfix(t *testing.T) {
	sink := StartSMTPSink(t, SinkOptions{Dump: true})
	msg := []byte("From: a@example.org\r\nTo: b@example.com\r\nSubject: harness\r\n\r\nhello\r\n.dot\r\n")
	if err := SendSMTP(sink.Addr, "a@example.org", []string{"b@example.com"}, msg); err != nil {
		t.Fatal(err)
	}
	if n := sink.WaitCount(1, 5*time.Second); n != 1 {
		t.Fatalf("sink count %d", n)
	}
	ms, err := sink.Messages()
	if err != nil || len(ms) != 1 {
		t.Fatalf("messages %v %v", ms, err)
	}
	if !bytes.Equal(ms[0].Data, NormalizeLF(msg)) || !strings.HasPrefix(ms[0].MailFrom, "<a@example.org>") {
		t.Fatalf("dump %+v", ms[0])
	}

	pf := StartPostfix(t, PostfixOptions{Relayhost: "[" + "127.0.0.1" + "]:" + portOf(sink.Addr)})
	if err := SendSMTP(pf.Addr, "a@example.org", []string{"b@example.com"}, msg); err != nil {
		t.Fatal(err)
	}
	if n := sink.WaitCount(2, 20*time.Second); n != 2 {
		t.Fatalf("sink count %d after postfix", n)
	}
	sink.Stop()
	sink.Start()
	if err := SendSMTP(sink.Addr, "a@example.org", []string{"b@example.com"}, msg); err != nil {
		t.Fatal(err)
	}
	if n := sink.WaitCount(3, 5*time.Second); n != 3 {
		t.Fatalf("sink count %d after restart", n)
	}
}

func portOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[i+1:]
		}
	}
	return addr
}
