package smtpd

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// bareEnd is the model: the offset of the first line end that is not
// CRLF, or -1.
func bareEnd(b []byte) int {
	for i, c := range b {
		switch {
		case c == '\n' && (i == 0 || b[i-1] != '\r'):
			return i
		case c == '\r' && (i+1 == len(b) || b[i+1] != '\n'):
			return i
		}
	}
	return -1
}

// FuzzLineGuard: for any data, read in any chunking, the guard refuses it
// exactly when the model finds a bare CR or LF, and otherwise passes every
// byte through unchanged.
func FuzzLineGuard(f *testing.F) {
	for _, s := range []string{"a\r\nb\r\n", "a\nb", "a\r", "\r\n.\r\n", "x\r\r\n", "\n.\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, r := range []io.Reader{bytes.NewReader(in), iotest.OneByteReader(bytes.NewReader(in)), iotest.HalfReader(bytes.NewReader(in))} {
			g := &lineGuard{r: r}
			out, err := io.ReadAll(g)
			bad := bareEnd(in) >= 0
			switch {
			case bad && err != errBareLF && err != errBareCR:
				t.Fatalf("%q: bare line end not refused (%v)", in, err)
			case !bad && err != nil:
				t.Fatalf("%q: refused: %v", in, err)
			case !bad && !bytes.Equal(out, in):
				t.Fatalf("%q: changed to %q", in, out)
			case g.n > int64(len(in)):
				t.Fatalf("counted %d of %d bytes", g.n, len(in))
			}
		}
	})
}
