package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// contentFilterMaster is the master.cf part of Postfix's after-queue
// content filter set-up (FILTER_README, "simple" SMTP filter): the
// tradesift transport Postfix hands mail to, and the re-injection smtpd
// tradesift delivers back to, which must not filter again. The two %s are
// the re-injection address (127.0.0.1:10026 in README terms).
const contentFilterMaster = `tradesift unix  -       -       n       -       10      smtp
  -o syslog_name=postfix/tradesift
  -o disable_mime_output_conversion=yes
  -o smtp_generic_maps=
%s inet  n       -       n       -       10      smtpd
  -o syslog_name=postfix/reinject
  -o content_filter=
  -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters
  -o smtpd_helo_restrictions=
  -o smtpd_client_restrictions=
  -o smtpd_sender_restrictions=
  -o smtpd_relay_restrictions=permit_mynetworks,reject
  -o smtpd_recipient_restrictions=permit_mynetworks,reject
  -o mynetworks=127.0.0.0/8
  -o smtpd_authorized_xforward_hosts=127.0.0.0/8
`

// TestPostfixContentFilter puts tradesift behind a private Postfix as an
// after-queue content_filter: Postfix (port P) → tradesift → Postfix
// re-injection port → relayhost (smtp-sink). The message comes out at the
// sink with X-Buyer-Type added and its bytes unchanged below the added
// header block.
func TestPostfixContentFilter(t *testing.T) {
	mtatest.RequireTool(t, mtatest.PostfixPath)
	mtatest.RequireRoot(t, "Postfix starts as root")
	sink := mtatest.StartSMTPSink(t, mtatest.SinkOptions{Dump: true})
	tsAddr := mtatest.FreeAddr(t)
	reinject := mtatest.FreeAddr(t)
	main := []string{
		"relay_domains = " + Domain,
		"content_filter = tradesift:[127.0.0.1]:" + portOf(tsAddr),
		// Mail for the domain then goes to the company mailbox server;
		// here the sink stands in for it.
		"relayhost = [127.0.0.1]:" + portOf(sink.Addr),
	}
	master := fmt.Sprintf(contentFilterMaster, reinject)
	pf := mtatest.StartPostfix(t, mtatest.PostfixOptions{Main: main, Master: master})
	startRelay(t, relayConfig{Listen: tsAddr, Downstream: "smtp://" + reinject})

	shared := mtatest.SharedDir(t)
	raw, err := os.ReadFile(filepath.Join(shared, "corpus", "d001.eml"))
	if err != nil {
		t.Fatal(err)
	}
	// Postfix's cleanup drops Return-Path (message_drop_headers): leave
	// it out so that the bytes Postfix passes on are the bytes sent.
	msg := withMessageID(dropField(mtatest.ToCRLF(raw), "Return-Path"), "<postfix-filter-1@e2e.test>")
	if !strings.Contains(string(msg), "\r\nDate:") && !strings.HasPrefix(string(msg), "Date:") {
		t.Log("corpus message has no Date: Postfix will add one, below our headers")
	}
	rcpt := "sales@" + Domain
	if err := mtatest.SendSMTP(pf.Addr, "buyer@example.org", []string{rcpt}, msg); err != nil {
		t.Fatalf("Postfix refused: %v", err)
	}
	// And one with swaks, as the README tells people to test.
	out, err := mtatest.Swaks(t, "--server", pf.Addr, "--from", "buyer@example.org", "--to", rcpt,
		"--header", "Subject: swaks through the content filter", "--body", "Please quote 1000 pcs ER-K200, FOB Ningbo.")
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	if n := sink.WaitCount(2, 30*time.Second); n < 2 {
		t.Fatalf("sink got %d of 2 messages\npostfix log:\n%s", n, pf.Log())
	}
	time.Sleep(200 * time.Millisecond)
	ms, err := sink.Messages()
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, m := range ms {
		if mtatest.Header(m.Data, "X-Buyer-Type") == "" {
			t.Errorf("no X-Buyer-Type at the sink:\n%s", head(string(m.Data), 2000))
		}
		if strings.Contains(string(m.Data), "<postfix-filter-1@e2e.test>") {
			found++
			prefix, err := mtatest.SplitAdded(m.Data, mtatest.NormalizeLF(msg))
			if err != nil {
				t.Errorf("bytes changed through Postfix + tradesift: %v", err)
				continue
			}
			names, _ := mtatest.FieldNames(prefix)
			t.Logf("header block added on the way: %v", names)
			// Trace: Postfix, tradesift, Postfix re-injection.
			if c := strings.Count(string(prefix), "Received:"); c < 3 {
				t.Errorf("%d Received fields, want Postfix's, tradesift's and the re-injection's:\n%s", c, prefix)
			}
		}
	}
	if found != 1 {
		t.Errorf("corpus message arrived %d times", found)
	}
	if t.Failed() || testing.Verbose() {
		mainCf, _ := os.ReadFile(filepath.Join(pf.ConfigDir, "main.cf"))
		t.Logf("main.cf:\n%s\nmaster.cf additions:\n%s", mainCf, master)
	}
}

func portOf(addr string) string {
	return addr[strings.LastIndex(addr, ":")+1:]
}

// dropField removes every occurrence of a header field (with its folded
// lines) from the header section of msg.
func dropField(msg []byte, name string) []byte {
	end := strings.Index(string(msg), "\r\n\r\n")
	if end < 0 {
		return msg
	}
	var out []byte
	skip := false
	for _, line := range strings.SplitAfter(string(msg[:end+2]), "\r\n") {
		if line == "" {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			skip = len(line) > len(name) && strings.EqualFold(line[:len(name)+1], name+":")
		}
		if !skip {
			out = append(out, line...)
		}
	}
	return append(out, msg[end+2:]...)
}
