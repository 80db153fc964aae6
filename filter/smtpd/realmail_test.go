package smtpd

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/tradesift/tradesift/filter/headers"
	"github.com/tradesift/tradesift/filter/spool"
)

// memSpool keeps messages in memory: the corpus test is about bytes, the
// real spool's durability is tested in its own package.
type memSpool struct {
	mu   sync.Mutex
	n    int
	msgs map[string][]byte
}

func (m *memSpool) Store(env spool.Envelope, r io.Reader) (string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n++
	m.msgs[env.From] = b
	return strconv.Itoa(m.n), nil
}

// asSent is what an SMTP client puts on the wire for a file with LF line
// ends: LF becomes CRLF (bare CR stays), and the data ends with CRLF.
func asSent(b []byte) []byte {
	var out bytes.Buffer
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out.WriteByte('\r')
		}
		out.WriteByte(c)
	}
	switch {
	case bytes.HasSuffix(out.Bytes(), []byte("\r\n")):
	case bytes.HasSuffix(out.Bytes(), []byte("\r")):
		out.WriteString("\n") // as net/textproto's DotWriter does
	default:
		out.WriteString("\r\n")
	}
	return out.Bytes()
}

func hasBareCR(b []byte) bool {
	for i, c := range b {
		if c == '\r' && (i+1 == len(b) || b[i+1] != '\n') {
			return true
		}
	}
	return false
}

// Every message of ../shared/realmail (ham, spam, MIME torture, DKIM,
// charsets) goes through the listener: accepted, and stored byte for byte
// as sent below our Received:, minus only the fields we own; or, when the
// file has bare CRs, refused with 554 and not stored.
func TestRealmailBytesUnchanged(t *testing.T) {
	root := "../../../shared/realmail"
	if _, err := os.Stat(root); err != nil {
		t.Skipf("no corpus at %s", root)
	}
	var files []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && !strings.HasSuffix(p, ".md") && !strings.HasSuffix(p, ".tsv") && !strings.HasSuffix(p, ".txt") {
			files = append(files, p)
		}
		return nil
	})
	if testing.Short() && len(files) > 300 {
		files = files[:300]
	}
	cfg := testConfig()
	cfg.MaxMessageSize = 64 << 20
	cfg.MaxLineLength = 1 << 20
	cfg.MaxHeaderSize = 4 << 20
	ms := &memSpool{msgs: map[string][]byte{}}
	ts := start(t, cfg, ms)
	drop := headers.Owned("mx.example.com")

	var mu sync.Mutex
	accepted, refused := 0, 0
	work := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				f := files[i]
				from := "f" + strconv.Itoa(i) + "@client.example.net"
				raw, err := os.ReadFile(f)
				if err != nil {
					t.Error(err)
					continue
				}
				sent := asSent(raw)
				c, err := smtp.Dial(ts.addr)
				if err != nil {
					t.Error(err)
					continue
				}
				err = c.SendMail(from, []string{"sales@example.com"}, bytes.NewReader(raw))
				c.Close()
				var se *smtp.SMTPError
				switch {
				case hasBareCR(sent):
					if !errors.As(err, &se) || se.Code != 554 {
						t.Errorf("%s has a bare CR: got %v, want 554", f, err)
					}
					mu.Lock()
					refused++
					mu.Unlock()
					continue
				case err != nil:
					t.Errorf("%s: %v", f, err)
					continue
				}
				mu.Lock()
				accepted++
				mu.Unlock()
				// What Rewrite makes of it (tested against a model in
				// package headers), with a stand-in for our Received:.
				var want bytes.Buffer
				pre := []byte("Received: x\r\n")
				headers.Rewrite(&want, bytes.NewReader(sent), pre, drop, headers.Limits{})
				want.Next(len(pre))
				ms.mu.Lock()
				got := ms.msgs[from]
				ms.mu.Unlock()
				if _, rest := belowReceived(t, got); !bytes.Equal(rest, want.Bytes()) {
					t.Errorf("%s: stored bytes differ from what was sent", f)
				}
			}
		}()
	}
	for i := range files {
		work <- i
	}
	close(work)
	wg.Wait()
	t.Logf("%d files: %d accepted byte for byte, %d refused for bare CR", len(files), accepted, refused)
	if accepted == 0 {
		t.Fatal("nothing accepted")
	}
	if len(ms.msgs) != accepted {
		t.Errorf("%d stored, %d accepted", len(ms.msgs), accepted)
	}
}
