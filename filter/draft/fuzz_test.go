package draft

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"

	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/judge"
)

// FuzzDraftHeaders feeds buyer-controlled strings into every header the
// draft derives from the inquiry and checks the header block stays the
// same ten fields, each line within RFC 5322's 998 octets, 7-bit.
func FuzzDraftHeaders(f *testing.F) {
	f.Add("Inquiry", "Hans", "h@scootworld.de", "id@x", "Company", "de")
	f.Add("Re: {{.Rep}}\r\nBcc: x@y", "Evil\r\nX: 1", "a@b\r\nBcc: c@d", "a>\r\nX: <b", "{{template \"body\" .}}", "ru")
	f.Add(strings.Repeat("é", 3000), strings.Repeat("Ж", 3000), "x@y", strings.Repeat("a", 300)+"@x", strings.Repeat("Co ", 4000), "ar")
	f.Add("\x00\x7f\u2028\xff", "\"quoted\" <name>", "<a@b>", "", "", "")
	f.Add("s", "0", "0@\x86", "", "", "")             // found by fuzzing: 8-bit domain
	f.Add("s", "n", "compras@señal.es", "", "", "es") // IDN domain, sent as punycode
	r, err := New("", SampleSupplier())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, subject, name, addr, msgid, company, lang string) {
		m := &decode.Message{
			Subject:    subject,
			From:       decode.Address{Name: name, Addr: "buyer@example.com"},
			ReplyTo:    []decode.Address{{Name: name, Addr: addr}},
			MessageID:  msgid,
			References: []string{msgid, "ok@example.com"},
			Text:       subject + "\n" + company,
		}
		fl := SampleFields(lang)
		fl.Company, fl.Contact = company, name
		d, err := r.Draft(m, judge.Verdict{BuyerType: judge.Sourcing, ReplyPlan: judge.PlanQuote, Fields: fl}, rep(), testNow)
		if err != nil {
			t.Fatal(err)
		}
		end := bytes.Index(d.Bytes, []byte("\r\n\r\n"))
		if end < 0 {
			t.Fatal("no header/body separator")
		}
		for _, l := range strings.Split(string(d.Bytes[:end]), "\r\n") {
			if len(l) > 998 {
				t.Fatalf("header line of %d octets", len(l))
			}
			for i := 0; i < len(l); i++ {
				if l[i] >= 0x80 || (l[i] < 0x20 && l[i] != '\t') {
					t.Fatalf("byte %#x in header line %q", l[i], l)
				}
			}
		}
		h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(d.Bytes[:end+4])))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for fs := h.Fields(); fs.Next(); {
			switch fs.Key() {
			case "Date", "From", "To", "Subject", "Message-Id", "In-Reply-To", "References",
				"Mime-Version", "Content-Type", "Content-Transfer-Encoding", "Content-Language":
				n++
			default:
				t.Fatalf("unexpected header field %q", fs.Key())
			}
		}
		if n < 9 || n > 11 {
			t.Fatalf("%d header fields", n)
		}
	})
}
