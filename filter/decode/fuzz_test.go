package decode

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary bytes to Parse: it must not panic, must return
// either an error or a Message, and must keep its output bounded and valid
// UTF-8. Seeds are the testdata messages and a few broken shapes.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"",
		"From: a@b\n\nbody",
		"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/html\n\n<p>hi</p>\n--x--\n",
		"Content-Type: multipart/alternative; boundary=x\n\n--x\n\nplain\n--x\nContent-Type: text/html; charset=gb2312\nContent-Transfer-Encoding: base64\n\nxOO6ww==\n--x",
		"Subject: =?utf-8?B?w6k=?= =?gb2312?Q?=C4=E3?=\nContent-Type: message/rfc822\n\nFrom: x\n\n> quoted\nOn Mon, Bob wrote:\n> more\n-- \nsig",
		"Content-Type: text/plain; charset=iso-2022-jp; format=flowed\nContent-Transfer-Encoding: quoted-printable\n\n=1B$B$3=1B(B =\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lim := Limits{MaxTextBytes: 4096, MaxParts: 20, MaxDepth: 5}
		var ps *parser
		m, err := parse(bytes.NewReader(b), lim, &ps) // no recover: panics must show
		if err != nil {
			if m != nil {
				t.Fatal("both a message and an error")
			}
			return
		}
		if m == nil {
			t.Fatal("nil message without error")
		}
		// The text budget holds; forwarded-message banners and the
		// separators between parts add a few bytes each.
		if n := len(m.Text) + len(m.Signature) + len(m.Quoted); n > lim.MaxTextBytes+64*(len(m.Parts)+1) {
			t.Fatalf("kept %d bytes of text", n)
		}
		for _, s := range []string{m.Text, m.Signature, m.Quoted, m.Subject, m.From.Name} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8: %q", s)
			}
			if strings.ContainsRune(s, 0) {
				t.Fatalf("NUL in output: %q", s)
			}
		}
	})
}
