package extract

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

func exampleExtractor(t testing.TB) *Extractor {
	t.Helper()
	cfg, err := config.Load(filepath.Join(mtatest.RepoRoot(t), "config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := New(&cfg.Supplier)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func corpusDir(t testing.TB) string {
	dir := filepath.Join(mtatest.RepoRoot(t), "..", "shared", "corpus")
	if _, err := os.Stat(filepath.Join(dir, "labels.json")); err != nil {
		t.Skip("no shared corpus next to the repository")
	}
	return dir
}

func loadCorpus(t testing.TB) (string, []mtatest.Label) {
	dir := corpusDir(t)
	return dir, mtatest.LoadLabels(t, dir)
}

func parseFile(t testing.TB, path string) *decode.Message {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := decode.Parse(f, decode.Limits{})
	if err != nil && m == nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// normCompany compares company names without case, spaces, punctuation
// and quotes.
func normCompany(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// TestCorpus measures each field on the shared corpus. Language is scored on
// every message; the other fields on inquiries only (the labels of set 2
// leave them empty for non-inquiries, which is the judge's call, not ours).
func TestCorpus(t *testing.T) {
	dir, labels := loadCorpus(t)
	x := exampleExtractor(t)
	type score struct{ ok, n int }
	sc := map[string]*score{}
	fields := []string{"models", "quantity", "incoterm", "company", "country", "language"}
	for _, f := range fields {
		sc[f] = &score{}
	}
	var misses []string
	for _, l := range labels {
		m := parseFile(t, filepath.Join(dir, l.File))
		got := x.Extract(m)
		check := func(field, want, have string) {
			sc[field].n++
			if want == have {
				sc[field].ok++
			} else {
				misses = append(misses, fmt.Sprintf("%s %-8s want %q got %q", l.File, field, want, have))
			}
		}
		check("language", l.Fields.Language, got.Language)
		if l.BuyerType == "none" {
			continue
		}
		wm := append([]string(nil), l.Fields.Models...)
		hm := append([]string(nil), got.Models...)
		sort.Strings(wm)
		sort.Strings(hm)
		check("models", strings.Join(wm, ","), strings.Join(hm, ","))
		q := func(p *int) string {
			if p == nil {
				return "null"
			}
			return fmt.Sprint(*p)
		}
		check("quantity", q(l.Fields.Quantity), q(got.Quantity))
		check("incoterm", str(l.Fields.Incoterm), got.Incoterm)
		check("company", normCompany(str(l.Fields.Company)), normCompany(got.Company))
		check("country", str(l.Fields.Country), got.Country)
	}
	if testing.Verbose() {
		for _, s := range misses {
			t.Log(s)
		}
	}
	floors := map[string]float64{"models": 0.90, "quantity": 0.80, "incoterm": 0.85, "company": 0.75, "country": 0.90, "language": 0.95}
	for _, f := range fields {
		s := sc[f]
		acc := float64(s.ok) / float64(s.n)
		t.Logf("%-8s %3d/%3d  %5.1f%%", f, s.ok, s.n, 100*acc)
		if acc < floors[f] {
			t.Errorf("%s accuracy %.1f%% below the floor of %.0f%%", f, 100*acc, 100*floors[f])
		}
	}
}
