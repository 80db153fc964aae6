package decode

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// smallReads reads with buffers of a fixed size, to shake out state kept
// across Read calls.
type smallReads struct {
	r io.Reader
	n int
}

func (s smallReads) Read(p []byte) (int, error) {
	if len(p) > s.n {
		p = p[:s.n]
	}
	return s.r.Read(p)
}

// TestGuardTransparent: with headers inside the limits, the guard passes
// every byte through unchanged, whatever the read sizes.
func TestGuardTransparent(t *testing.T) {
	inputs := map[string]string{
		"simple":   "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\n\r\nworld --b not\r\n--bb\r\n--b--\r\nepilogue\r\n",
		"lf":       "preamble\n--b\nA: 1\n\nx\n--b--",
		"empty":    "",
		"noend":    "--b\r\n\r\nbody without end",
		"adjacent": "--b\r\n\r\n--b\r\n\r\n\r\n--b--",
		"dashes":   strings.Repeat("-", 100) + "\n--b\n\n" + strings.Repeat("--b-", 50) + "\n--b--\n",
	}
	files, _ := filepath.Glob("testdata/*.eml")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		inputs[f] = string(b)
	}
	for name, in := range inputs {
		boundary := "b"
		if i := strings.Index(in, "boundary=\""); i >= 0 {
			boundary = in[i+len("boundary=\""):]
			boundary = boundary[:strings.IndexByte(boundary, '"')]
		}
		for _, n := range []int{1, 2, 3, 7, 64, 4096, 100000} {
			for _, src := range []io.Reader{strings.NewReader(in), iotest.HalfReader(strings.NewReader(in)), iotest.OneByteReader(strings.NewReader(in))} {
				g := newPartHeaderGuard(src, boundary, partHeaderLine, partHeaderMax)
				got, err := io.ReadAll(smallReads{g, n})
				if err != nil {
					t.Fatalf("%s/%d: %v", name, n, err)
				}
				if !bytes.Equal(got, []byte(in)) {
					t.Fatalf("%s/%d: output differs (%d bytes, want %d)", name, n, len(got), len(in))
				}
				if g.cut {
					t.Fatalf("%s/%d: cut", name, n)
				}
			}
		}
	}
}

func TestGuardCuts(t *testing.T) {
	in := "--b\r\nA: 1\r\nX: " + strings.Repeat("x", 100) + "\r\n cont\r\nB: 2\r\n\r\nbody\r\n--b--\r\n"
	g := newPartHeaderGuard(strings.NewReader(in), "b", 50, 1000)
	got, _ := io.ReadAll(g)
	want := "--b\r\nA: 1\r\nB: 2\r\n\r\nbody\r\n--b--\r\n"
	if string(got) != want || !g.cut {
		t.Errorf("got %q cut %v", got, g.cut)
	}
}
