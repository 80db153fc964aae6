package headers

import (
	"bytes"
	"errors"
	"testing"
	"testing/iotest"
)

// splitHeader is a second, non-streaming reading of the grammar Rewrite
// implements: the header fields (raw bytes) and the rest.
func splitHeader(msg []byte) (fields [][]byte, rest []byte) {
	lines := bytes.SplitAfter(msg, []byte("\n"))
	var cur []byte
	for i, l := range lines {
		if len(l) == 0 {
			continue
		}
		if i == 0 && bytes.HasPrefix(l, []byte("From ")) {
			fields = append(fields, l) // kept: fieldName says it is no field
			continue
		}
		if (l[0] == ' ' || l[0] == '\t') && cur != nil {
			cur = append(cur, l...)
			continue
		}
		if cur != nil {
			fields = append(fields, cur)
			cur = nil
		}
		if c, _ := fieldName(l); c < 0 {
			return fields, bytes.Join(lines[i:], nil)
		}
		cur = append([]byte(nil), l...)
	}
	if cur != nil {
		fields = append(fields, cur)
	}
	return fields, nil
}

// FuzzRewrite checks, for any input: no panic; the output is the prepended
// bytes, then the input's header fields minus exactly the dropped ones, then
// the rest of the input byte for byte; the same through a one-byte reader
// and a tiny buffer (the streaming edges); and limits only ever fail with a
// *LimitError.
func FuzzRewrite(f *testing.F) {
	for _, s := range []string{
		"",
		"Subject: x\r\n\r\nbody\r\n",
		"X-Grade: A\r\nFrom: a\r\n\r\nX-Grade: B\r\n",
		"Authentication-Results: mx.example.com; spf=pass\r\nAuthentication-Results: other; x\r\n\r\n",
		"X-Buyer-Type: d\r\n\tfolded\r\n\r\n",
		"a\nb\n\nc",
		"Subject : x\nnot a field\nX-Grade: A\n",
		" cont\r\nX-Grade: A\r\n",
		"Authentication-Results: (c) \"mx.example.com\" 1;\r\n",
		"From someone@example.net Fri Nov 27 03:24:29 2026\nX-Grade: A\nSubject: s\n\nbody\n",
		"From x\r\n X-Grade: A\r\n",
		"Received: a\r\nReceived: b\r\nreceived : c\r\nReceived: d\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		pre := []byte("Received: x\r\n")
		drop := Owned(ours)
		fields, rest := splitHeader(in)
		var want bytes.Buffer
		want.Write(pre)
		if len(fields) == 0 && len(rest) > 0 && rest[0] != '\n' && !bytes.HasPrefix(rest, []byte("\r\n")) {
			want.WriteString("\r\n") // no header: the blank line keeps it so
		}
		for _, fl := range fields {
			c, e := fieldName(fl)
			if c < 0 || !drop(string(fl[:e]), fl[c+1:]) {
				want.Write(fl)
			}
		}
		want.Write(rest)

		var out bytes.Buffer
		if err := Rewrite(&out, bytes.NewReader(in), pre, drop, Limits{}); err != nil {
			t.Fatalf("no limits, got %v", err)
		}
		if !bytes.Equal(out.Bytes(), want.Bytes()) {
			t.Fatalf("input %q\ngot  %q\nwant %q", in, out.Bytes(), want.Bytes())
		}
		if !bytes.HasSuffix(out.Bytes(), rest) {
			t.Fatalf("body changed")
		}

		out.Reset()
		if err := rewrite(&out, iotest.OneByteReader(bytes.NewReader(in)), pre, drop, Limits{}, 16); err != nil {
			t.Fatalf("one-byte reader: %v", err)
		}
		if !bytes.Equal(out.Bytes(), want.Bytes()) {
			t.Fatalf("one-byte reader, small buffer: input %q\ngot  %q\nwant %q", in, out.Bytes(), want.Bytes())
		}

		// Keeping everything is the identity.
		out.Reset()
		if err := rewrite(&out, bytes.NewReader(in), nil, nil, Limits{}, 16); err != nil || !bytes.Equal(out.Bytes(), in) {
			t.Fatalf("identity: %v\ngot  %q\nwant %q", err, out.Bytes(), in)
		}

		// Tight limits: either the same output or a *LimitError.
		out.Reset()
		err := rewrite(&out, bytes.NewReader(in), pre, drop, Limits{MaxHeaderBytes: 64, MaxFields: 3, MaxLineLength: 20, MaxHops: 2}, 16)
		var le *LimitError
		switch {
		case err == nil && !bytes.Equal(out.Bytes(), want.Bytes()):
			t.Fatalf("limited run differs")
		case err != nil && !errors.As(err, &le):
			t.Fatalf("limited run: %v", err)
		}
	})
}
