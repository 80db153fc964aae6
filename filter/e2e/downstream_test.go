package e2e

import (
	"bytes"
	"fmt"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// TestDownstreamOutage stops the downstream (smtp-sink) while mail keeps
// arriving, starts it again a few seconds later: everything acknowledged
// is delivered, once.
func TestDownstreamOutage(t *testing.T) {
	const before, during = 20, 100
	tag := "outage"
	msgs := corpusMessages(t, tag, before+during, 0)
	sink := mtatest.StartSMTPSink(t, mtatest.SinkOptions{Dump: true})
	ts := startRelay(t, relayConfig{Downstream: "smtp://" + sink.Addr, MinBackoff: "1s", MaxBackoff: "2s"})
	rcpt := "sales@" + Domain

	res := newLoadResult(len(msgs))
	pushLoad(ts.Addr, msgs[:before], 4, rcpt, nil, res)
	if got := sink.WaitCount(before, 20*time.Second); got < before {
		t.Fatalf("before the outage: %d of %d delivered", got, before)
	}
	sink.Stop()
	rest := newLoadResult(during)
	pushLoad(ts.Addr, msgs[before:], 10, rcpt, nil, rest)
	for i, ok := range rest.acked {
		res.acked[before+i] = ok
	}
	res.nacked.Add(rest.nacked.Load())
	if res.nacked.Load() != int64(len(msgs)) {
		t.Errorf("%d of %d acked; the relay must accept while the downstream is down", res.nacked.Load(), len(msgs))
	}
	time.Sleep(4 * time.Second) // several failed attempts
	sink.Start()
	n := int(res.nacked.Load())
	if got := sink.WaitCount(n, 60*time.Second); got < n {
		t.Errorf("after the outage: %d of %d delivered within 60s", got, n)
	}
	time.Sleep(500 * time.Millisecond)
	ms, err := sink.Messages()
	if err != nil {
		t.Fatal(err)
	}
	var datas [][]byte
	for _, m := range ms {
		datas = append(datas, m.Data)
	}
	ids := messageIDs(datas)
	if missing := checkDelivered(t, tag, res, ids); missing > 0 {
		t.Errorf("%d messages lost over the outage", missing)
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
}

// TestDownstream5xxBounces: the downstream refuses one recipient at RCPT
// (550 5.1.1) and another message after DATA (554 5.7.1). Each produces
// one DSN (multipart/report; report-type=delivery-status) from the null
// sender to the envelope sender, delivered through the same downstream;
// the accepted recipient of the first message still gets it.
func TestDownstream5xxBounces(t *testing.T) {
	rec := mtatest.StartRecorder(t, mtatest.RecorderPolicy{
		Rcpt: func(rcpt string) *smtp.SMTPError {
			if strings.HasPrefix(rcpt, "nobody@") {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
			}
			return nil
		},
		Data: func(from string, rcpts []string, data []byte) *smtp.SMTPError {
			// Not the bounce, which quotes the message's header.
			if from != "" && bytes.Contains(data, []byte("Subject: refuse at data")) {
				return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Content refused by policy"}
			}
			return nil
		},
	})
	ts := startRelay(t, relayConfig{Downstream: "smtp://" + rec.Addr})
	sender := "buyer@" + Domain // a local address: the bounce comes back here
	m1 := []byte("From: Buyer <" + sender + ">\r\nTo: sales@" + Domain + "\r\nSubject: order for nobody\r\nMessage-ID: <bounce-1@e2e.test>\r\n\r\nPlease quote 500 pcs ER-K200.\r\n")
	m2 := []byte("From: Buyer <" + sender + ">\r\nTo: sales@" + Domain + "\r\nSubject: refuse at data\r\nMessage-ID: <bounce-2@e2e.test>\r\n\r\nHello.\r\n")
	if err := mtatest.SendSMTP(ts.Addr, sender, []string{"nobody@" + Domain, "sales@" + Domain}, m1); err != nil {
		t.Fatal(err)
	}
	if err := mtatest.SendSMTP(ts.Addr, sender, []string{"lily.chen@" + Domain}, m2); err != nil {
		t.Fatal(err)
	}
	ms := rec.WaitCount(3, 30*time.Second)
	var bounces []mtatest.RecordedMessage
	gotSales := false
	for _, m := range ms {
		switch {
		case m.From == "":
			bounces = append(bounces, m)
		case strings.Contains(string(m.Data), "<bounce-1@e2e.test>"):
			gotSales = len(m.Rcpts) == 1 && m.Rcpts[0] == "sales@"+Domain
		}
	}
	if !gotSales {
		t.Errorf("the accepted recipient of message 1 did not get it: %+v", ms)
	}
	if len(bounces) != 2 {
		t.Fatalf("want 2 bounces from <>, got %d of %d messages", len(bounces), len(ms))
	}
	for _, b := range bounces {
		if len(b.Rcpts) != 1 || b.Rcpts[0] != sender {
			t.Errorf("bounce to %v, want %s", b.Rcpts, sender)
		}
		ct := mtatest.Header(b.Data, "Content-Type")
		mt, params, _ := mime.ParseMediaType(ct)
		if mt != "multipart/report" || params["report-type"] != "delivery-status" {
			t.Errorf("bounce Content-Type %q", ct)
		}
		body := string(b.Data)
		switch {
		case strings.Contains(body, "bounce-1@e2e.test"):
			if !strings.Contains(body, "nobody@"+Domain) || !strings.Contains(body, "5.1.1") {
				t.Errorf("bounce of message 1 lacks the recipient or 5.1.1:\n%s", head(body, 3000))
			}
			if strings.Contains(strings.ToLower(body), "final-recipient: rfc822; sales@") {
				t.Errorf("bounce of message 1 names the delivered recipient:\n%s", head(body, 3000))
			}
		case strings.Contains(body, "bounce-2@e2e.test"):
			if !strings.Contains(body, "lily.chen@"+Domain) || !strings.Contains(body, "5.7.1") {
				t.Errorf("bounce of message 2 lacks the recipient or 5.7.1:\n%s", head(body, 3000))
			}
		default:
			t.Errorf("bounce names neither message:\n%s", head(body, 3000))
		}
	}
	// No bounce of a bounce, no retries of a permanent failure.
	time.Sleep(3 * time.Second)
	if n := len(rec.Messages()); n != 3 {
		t.Errorf("%d messages at the downstream after 3s more, want 3", n)
	}
	if t.Failed() {
		for _, b := range bounces {
			t.Logf("bounce:\n%s", head(string(b.Data), 3000))
		}
	}
}

func head(s string, n int) string {
	if len(s) > n {
		return s[:n] + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return s
}

// TestDownstreamLMTP relays through an LMTP downstream (smtp-sink -L):
// per-recipient replies, every message delivered to every recipient.
func TestDownstreamLMTP(t *testing.T) {
	const n = 30
	tag := "lmtp"
	msgs := corpusMessages(t, tag, n, 0)
	sink := mtatest.StartSMTPSink(t, mtatest.SinkOptions{Dump: true, Args: []string{"-L"}})
	ts := startRelay(t, relayConfig{Downstream: "lmtp://" + sink.Addr})
	rcpts := []string{"sales@" + Domain, "lily.chen@" + Domain}
	for i, m := range msgs {
		if err := mtatest.SendSMTP(ts.Addr, "buyer@example.org", rcpts, m); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if got := sink.WaitCount(n, 30*time.Second); got < n {
		t.Fatalf("%d of %d transactions at the LMTP sink", got, n)
	}
	time.Sleep(200 * time.Millisecond)
	ms, err := sink.Messages()
	if err != nil {
		t.Fatal(err)
	}
	perRcpt := map[string]int{}
	for _, m := range ms {
		for _, r := range m.Rcpts {
			perRcpt[strings.Fields(r)[0]]++
		}
	}
	for _, r := range rcpts {
		if perRcpt["<"+r+">"] != n {
			t.Errorf("%s got %d of %d messages (%v)", r, perRcpt["<"+r+">"], n, perRcpt)
		}
	}
}
