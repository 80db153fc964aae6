package judge

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// TestShow prints the decoded text of SHOW=file (development aid).
func TestShow(t *testing.T) {
	f := os.Getenv("SHOW")
	if f == "" {
		t.Skip("set SHOW=corpus-file to print a message's decoded text")
	}
	raw, err := os.ReadFile(filepath.Join(mtatest.SharedDir(t), "corpus", f))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := decode.Parse(bytes.NewReader(raw), decode.Limits{})
	t.Logf("subject: %s\nfrom: %s\ntext:\n%s\n--sig--\n%s", m.Subject, m.From.Addr, m.Text, m.Signature)
}
