package decode

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// mailFiles lists the regular files under dir, README and metadata aside.
func mailFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		base := d.Name()
		switch {
		case base == "README.md", base == "MANIFEST.tsv", base == "dns-records.txt", base == "labels.json",
			strings.HasPrefix(base, "."), strings.HasSuffix(base, ".json"):
			return nil
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// corpusFiles lists the .eml files of ../shared/corpus.
func corpusFiles(t testing.TB) []string {
	files, err := filepath.Glob(filepath.Join(mtatest.SharedDir(t), "corpus", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Skip("no corpus messages")
	}
	return files
}

// TestParseRealMail runs Parse over every file of ../shared/realmail and
// ../shared/corpus: no panic, and no error unless the input has no header.
func TestParseRealMail(t *testing.T) {
	shared := mtatest.SharedDir(t)
	files := append(mailFiles(t, filepath.Join(shared, "realmail")), mailFiles(t, filepath.Join(shared, "corpus"))...)
	if len(files) < 100 {
		t.Fatalf("only %d files found under %s", len(files), shared)
	}
	problems := map[string]int{}
	errs := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := parseNoPanic(t, f, b)
		if err != nil {
			errs++
			if hasHeaderField(b) {
				t.Errorf("%s: %v", f, err)
			}
			continue
		}
		for _, p := range m.Problems {
			problems[p]++
		}
	}
	t.Logf("%d files, %d without header; problems: %v", len(files), errs, problems)
}

func parseNoPanic(t *testing.T, name string, b []byte) (m *Message, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: panic: %v", name, r)
			err = nil
			m = &Message{}
		}
	}()
	var ps *parser
	return parse(bytes.NewReader(b), Limits{}, &ps) // no recover: panics must show
}

// hasHeaderField reports whether the first line of b (after an mbox "From "
// line) looks like a header field.
func hasHeaderField(b []byte) bool {
	lines := bytes.SplitN(b, []byte("\n"), 3)
	for i, l := range lines {
		if i == 0 && bytes.HasPrefix(l, []byte("From ")) {
			continue
		}
		return looksLikeField(bytes.TrimPrefix(l, []byte("\xef\xbb\xbf"))) || isBlankLine(l)
	}
	return false
}

// TestCorpusClean checks that every corpus message (clean, hand-written)
// decodes to non-empty text without replacement characters.
func TestCorpusClean(t *testing.T) {
	for _, f := range corpusFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse(bytes.NewReader(b), Limits{})
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if strings.TrimSpace(m.Text) == "" {
			t.Errorf("%s: empty Text (problems %v)", filepath.Base(f), m.Problems)
		}
		for what, s := range map[string]string{"Text": m.Text, "Signature": m.Signature, "Quoted": m.Quoted, "Subject": m.Subject, "From": m.From.Name} {
			if strings.ContainsRune(s, '\uFFFD') {
				t.Errorf("%s: U+FFFD in %s", filepath.Base(f), what)
			}
		}
		if len(m.Problems) > 0 {
			t.Logf("%s: problems %v", filepath.Base(f), m.Problems)
		}
		if m.From.Addr == "" || !m.HasDate || m.Subject == "" {
			t.Errorf("%s: From %+v, HasDate %v, Subject %q", filepath.Base(f), m.From, m.HasDate, m.Subject)
		}
	}
}
