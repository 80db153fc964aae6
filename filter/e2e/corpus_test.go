package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// corpusMessages returns n messages cycled from ../shared/corpus/*.eml,
// in CRLF form, each with a unique Message-ID <tag-i@e2e.test>. When
// minSize > 0, a message shorter than that gets quoted earlier mail
// appended to its body (as a reply thread would carry) until it reaches
// minSize: the corpus averages 3 KB, real inbound mail with a thread is
// nearer 10 KB.
func corpusMessages(t testing.TB, tag string, n, minSize int) [][]byte {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(mtatest.SharedDir(t), "corpus", "*.eml"))
	sort.Strings(paths)
	if len(paths) == 0 {
		t.Skip("no ../shared/corpus/*.eml")
	}
	var src [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, mtatest.ToCRLF(b))
	}
	out := make([][]byte, n)
	for i := range out {
		m := withMessageID(src[i%len(src)], MessageIDFor(tag, i))
		if minSize > 0 {
			m = padQuoted(m, src, i, minSize)
		}
		out[i] = m
	}
	return out
}

// MessageIDFor is the Message-ID of message i of a run.
func MessageIDFor(tag string, i int) string { return fmt.Sprintf("<%s-%d@e2e.test>", tag, i) }

var msgIDRE = regexp.MustCompile(`(?im)^Message-ID:[^\r\n]*\r\n([ \t][^\r\n]*\r\n)*`)

// withMessageID replaces the Message-ID field of the header (or adds one
// on top) with id.
func withMessageID(msg []byte, id string) []byte {
	end := bytes.Index(msg, []byte("\r\n\r\n"))
	if end < 0 {
		end = len(msg)
	}
	field := []byte("Message-ID: " + id + "\r\n")
	if loc := msgIDRE.FindIndex(msg[:end+2]); loc != nil {
		return append(append(append([]byte{}, msg[:loc[0]]...), field...), msg[loc[1]:]...)
	}
	return append(field, msg...)
}

// padQuoted appends "> "-quoted lines of other corpus messages to the end
// of msg until it has minSize bytes.
func padQuoted(msg []byte, src [][]byte, i, minSize int) []byte {
	out := append([]byte{}, msg...)
	for k := 1; len(out) < minSize && k <= len(src); k++ {
		other := src[(i+k)%len(src)]
		out = append(out, "\r\nOn an earlier day, someone wrote:\r\n"...)
		for _, line := range bytes.Split(bytes.TrimSuffix(other, []byte("\r\n")), []byte("\r\n")) {
			out = append(out, "> "...)
			out = append(out, line...)
			out = append(out, '\r', '\n')
			if len(out) >= minSize {
				break
			}
		}
	}
	return out
}

// messageIDs counts Message-ID values over delivered messages.
func messageIDs(datas [][]byte) map[string]int {
	ids := map[string]int{}
	for _, d := range datas {
		ids[mtatest.Header(d, "Message-ID")]++
	}
	return ids
}
