package judge

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

func testConfig(t testing.TB) *config.Config {
	cfg, err := config.Load(filepath.Join(mtatest.RepoRoot(t), "config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func testJudge(t testing.TB) (*Judge, *config.Config) {
	cfg := testConfig(t)
	j, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return j, cfg
}

// label is one entry of a labels.json.
type label = mtatest.Label

func loadLabels(t testing.TB, dir string) []label { return mtatest.LoadLabels(t, dir) }

// authFromHeader stands in for filter/auth (which needs DNS): the
// corpus messages carry the receiving MX's Authentication-Results.
func authFromHeader(m *decode.Message) []string {
	var out []string
	ar := strings.ToLower(strings.Join(m.Header.Values("Authentication-Results"), " "))
	for _, k := range []string{"dkim", "spf", "dmarc"} {
		if strings.Contains(ar, k+"=fail") || k == "spf" && strings.Contains(ar, "spf=softfail") {
			out = append(out, k+"-fail")
		}
	}
	return out
}

// dkimDomains lists the d= tags of the DKIM signatures.
func dkimDomains(m *decode.Message) []string {
	var out []string
	for _, v := range m.Header.Values("DKIM-Signature") {
		for _, tag := range strings.Split(v, ";") {
			tag = strings.TrimSpace(tag)
			if strings.HasPrefix(tag, "d=") {
				out = append(out, strings.ToLower(strings.TrimSpace(tag[2:])))
			}
		}
	}
	return out
}

// confusion prints a confusion matrix of want (rows) by got (columns).
func confusion(w io.Writer, title string, pairs [][2]string) {
	set := map[string]bool{}
	for _, p := range pairs {
		set[p[0]] = true
		set[p[1]] = true
	}
	var keys []string
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := map[[2]string]int{}
	for _, p := range pairs {
		n[p]++
	}
	short := func(s string) string {
		if s == "" {
			s = "-"
		}
		if len(s) > 9 {
			s = s[:9]
		}
		return s
	}
	fmt.Fprintf(w, "%s (rows: label, columns: judged)\n%-16s", title, "")
	for _, k := range keys {
		fmt.Fprintf(w, "%10s", short(k))
	}
	fmt.Fprintln(w)
	for _, a := range keys {
		fmt.Fprintf(w, "%-16s", short(a))
		for _, b := range keys {
			if c := n[[2]string{a, b}]; c > 0 {
				fmt.Fprintf(w, "%10d", c)
			} else {
				fmt.Fprintf(w, "%10s", ".")
			}
		}
		fmt.Fprintln(w)
	}
}
