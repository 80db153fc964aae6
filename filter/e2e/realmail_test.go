package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// mailFile is one message of ../shared/realmail in SMTP form (CRLF).
type mailFile struct {
	Name string // path below realmail
	Data []byte
}

// notMail are files in realmail that describe the corpus, not messages.
func notMail(name string) bool {
	base := filepath.Base(name)
	switch base {
	case "README.md", ".gitattributes", "MANIFEST.tsv", "dns-records.txt", "COPYING", "LICENSE.txt", "labels.json":
		return true
	}
	switch filepath.Ext(base) {
	case ".dns", ".pub", ".dat", ".json", ".yml", ".md":
		return true
	}
	return false
}

// loadRealmail reads every message below ../shared/realmail (with -short,
// every tenth), converted
// to CRLF with any mbox "From " line dropped. The stalwart-mail-auth
// files carry DNS records, a blank line, then the message: the message
// part is kept.
func loadRealmail(t testing.TB) []mailFile {
	t.Helper()
	root := filepath.Join(mtatest.SharedDir(t), "realmail")
	var out []mailFile
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if notMail(rel) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(rel, "stalwart-mail-auth/") {
			if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
				b = b[i+2:]
			}
		}
		out = append(out, mailFile{Name: rel, Data: mtatest.ToCRLF(b)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if testing.Short() {
		// Every tenth message, the bare-CR ones included.
		var some []mailFile
		for i, m := range out {
			if i%10 == 0 || mtatest.HasBareCR(m.Data) {
				some = append(some, m)
			}
		}
		out = some
	}
	if len(out) == 0 {
		t.Skip("no messages under " + root)
	}
	return out
}

// rcptFor gives message i its own recipient, so each lands in its own
// Maildir and is found again in a sink dump.
func rcptFor(i int) string { return fmt.Sprintf("m%05d@%s", i, Domain) }

func indexOfRcpt(s string) int {
	s = strings.TrimPrefix(strings.ToLower(s), "<")
	var i int
	if _, err := fmt.Sscanf(s, "m%05d@", &i); err != nil {
		return -1
	}
	return i
}

// sendAll relays msgs with the given number of concurrent sessions and
// returns the refusal of each message that did not get a 250 (nil for
// accepted ones). A 4xx is retried a few times.
func sendAll(t testing.TB, addr string, msgs []mailFile, sessions int) []error {
	t.Helper()
	errs := make([]error, len(msgs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < sessions; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s *mtatest.Sender
			defer func() {
				if s != nil {
					s.Close()
				}
			}()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(msgs) {
					return
				}
				for try := 0; try < 4; try++ {
					if s == nil {
						var err error
						if s, err = mtatest.DialSender(addr); err != nil {
							errs[i] = err
							time.Sleep(200 * time.Millisecond)
							continue
						}
					}
					errs[i] = s.Send("buyer@example.org", []string{rcptFor(i)}, msgs[i].Data)
					if errs[i] == nil || mtatest.IsPermanent(errs[i]) {
						break
					}
					if !mtatest.IsTemporary(errs[i]) {
						// Network error or the server closed the session
						// (a refusal may end it): start a new one.
						s.Close()
						s = nil
					}
					time.Sleep(200 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	return errs
}

// expectedRefusal says why the relay may refuse a message, "" if it must
// accept it.
func expectedRefusal(msg []byte, maxLine int) string {
	switch {
	case mtatest.HasBareCR(msg):
		return "bare CR (SMTP smuggling shape)"
	case mtatest.MaxLineLength(msg) > maxLine:
		return fmt.Sprintf("line of %d octets > max_line_length %d", mtatest.MaxLineLength(msg), maxLine)
	}
	return ""
}

// checkRefusals lists every refused message and fails on those the relay
// had no reason to refuse; it returns how many were accepted.
func checkRefusals(t *testing.T, msgs []mailFile, errs []error, maxLine int) int {
	t.Helper()
	accepted, legit := 0, 0
	for i, err := range errs {
		if err == nil {
			accepted++
			continue
		}
		why := expectedRefusal(msgs[i].Data, maxLine)
		if why == "" {
			t.Errorf("refused %s: %v", msgs[i].Name, err)
			continue
		}
		legit++
		t.Logf("refused (expected: %s) %s: %v", why, msgs[i].Name, err)
	}
	t.Logf("%d messages: %d relayed, %d refused for a listed reason, %d refused wrongly",
		len(msgs), accepted, legit, len(msgs)-accepted-legit)
	return accepted
}

// realmailMaxLine is max_line_length for the realmail runs: above the
// longest line of the corpus (48,677 octets, a spam), so all are relayed.
const realmailMaxLine = 65536

// TestRealmailMaildir relays every realmail message into the embedded
// Maildir downstream and compares bytes below our headers.
func TestRealmailMaildir(t *testing.T) {
	t.Parallel()
	msgs := loadRealmail(t)
	base := t.TempDir()
	mail := filepath.Join(base, "mail")
	ts := startRelay(t, relayConfig{Downstream: "maildir:" + mail, MaxLineLength: realmailMaxLine})
	start := time.Now()
	errs := sendAll(t, ts.Addr, msgs, 16)
	accepted := checkRefusals(t, msgs, errs, realmailMaxLine)
	t.Logf("sent in %v", time.Since(start).Round(time.Millisecond))

	deadline := time.Now().Add(5 * time.Minute)
	for mtatest.CountMaildirs(mail) < accepted && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	out, err := mtatest.ReadMaildirs(mail)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("delivered %d files in %v", len(out), time.Since(start).Round(time.Millisecond))
	got := make([]int, len(msgs))
	bad := 0
	added := map[string]int{}
	for _, m := range out {
		i := indexOfRcpt(m.Rcpt)
		if i < 0 || i >= len(msgs) {
			t.Errorf("unexpected mailbox %s", m.Rcpt)
			continue
		}
		got[i]++
		prefix, err := splitAdded(t, msgs[i].Name, m.Data, msgs[i].Data, "\r\n")
		if err != nil {
			if bad++; bad <= 20 {
				t.Errorf("%s: %v", msgs[i].Name, err)
			}
			continue
		}
		names, _ := mtatest.FieldNames(prefix)
		added[strings.Join(names, ",")]++
	}
	checkCounts(t, msgs, errs, got)
	if bad > 0 {
		t.Errorf("%d messages changed below our headers", bad)
	}
	t.Logf("added header blocks: %v", added)
}

// splitAdded is mtatest.SplitAdded, allowing the blank line a relay puts
// between its header block and a message that does not start with a
// header field (logged).
func splitAdded(t *testing.T, name string, out, sent []byte, eol string) ([]byte, error) {
	prefix, err := mtatest.SplitAdded(out, sent)
	if err != nil && !mtatest.StartsWithField(sent) {
		if prefix, err2 := mtatest.SplitAdded(out, append([]byte(eol), sent...)); err2 == nil {
			t.Logf("%s does not start with a header field: relayed below a blank line", name)
			return prefix, nil
		}
	}
	return prefix, err
}

// checkCounts wants exactly one delivery of every accepted message and
// none of a refused one.
func checkCounts(t *testing.T, msgs []mailFile, errs []error, got []int) {
	t.Helper()
	missing, dup := 0, 0
	for i := range msgs {
		switch {
		case errs[i] == nil && got[i] == 0:
			if missing++; missing <= 20 {
				t.Errorf("accepted but not delivered: %s", msgs[i].Name)
			}
		case errs[i] == nil && got[i] > 1:
			dup++
			t.Logf("delivered %d times: %s", got[i], msgs[i].Name)
		case errs[i] != nil && got[i] > 0:
			t.Errorf("refused (%v) but delivered: %s", errs[i], msgs[i].Name)
		}
	}
	if missing > 0 {
		t.Errorf("%d accepted messages not delivered", missing)
	}
	if dup > 0 {
		t.Errorf("%d messages delivered more than once", dup)
	}
}

// TestRealmailSink relays every realmail message to smtp-sink over SMTP.
// smtp-sink dumps text lines ending in LF, so both sides are compared in
// that form.
func TestRealmailSink(t *testing.T) {
	t.Parallel()
	msgs := loadRealmail(t)
	sink := mtatest.StartSMTPSink(t, mtatest.SinkOptions{Dump: true})
	ts := startRelay(t, relayConfig{Downstream: "smtp://" + sink.Addr, MaxLineLength: realmailMaxLine})
	start := time.Now()
	errs := sendAll(t, ts.Addr, msgs, 16)
	accepted := checkRefusals(t, msgs, errs, realmailMaxLine)
	t.Logf("sent in %v", time.Since(start).Round(time.Millisecond))
	if n := sink.WaitCount(accepted, 5*time.Minute); n < accepted {
		t.Errorf("sink has %d of %d messages after 5 minutes", n, accepted)
	}
	time.Sleep(200 * time.Millisecond) // last dump file closed
	out, err := sink.Messages()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("delivered %d in %v", len(out), time.Since(start).Round(time.Millisecond))
	got := make([]int, len(msgs))
	bad := 0
	for _, m := range out {
		if len(m.Rcpts) != 1 {
			t.Errorf("%s: recipients %v", m.Path, m.Rcpts)
			continue
		}
		i := indexOfRcpt(m.Rcpts[0])
		if i < 0 || i >= len(msgs) {
			t.Errorf("unexpected recipient %s", m.Rcpts[0])
			continue
		}
		got[i]++
		if !strings.HasPrefix(m.MailFrom, "<buyer@example.org>") {
			t.Errorf("%s: MAIL FROM %s", msgs[i].Name, m.MailFrom)
		}
		if _, err := splitAdded(t, msgs[i].Name, m.Data, mtatest.NormalizeLF(msgs[i].Data), "\n"); err != nil {
			if bad++; bad <= 20 {
				t.Errorf("%s: %v", msgs[i].Name, err)
			}
		}
	}
	checkCounts(t, msgs, errs, got)
	if bad > 0 {
		t.Errorf("%d messages changed below our headers", bad)
	}
}
