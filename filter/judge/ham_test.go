package judge

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// judgeFolder runs every file under dir through the classify path and
// returns how many were judged an inquiry, of how many, with examples.
func judgeFolder(t *testing.T, j *Judge, dir string) (inquiries, total int, examples []string) {
	t.Helper()
	cfg := testConfig(t)
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".md") || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		total++
		v, _ := analyze(j, cfg, raw, nil)
		if v.BuyerType != None {
			inquiries++
			var sig []string
			for _, s := range v.Signals {
				sig = append(sig, s.Name)
			}
			examples = append(examples, filepath.Base(filepath.Dir(path))+"/"+d.Name()+": "+v.BuyerType+" ["+strings.Join(sig, " ")+"]")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(examples)
	return inquiries, total, examples
}

// TestHam: real non-inquiry mail may be taken for an inquiry at most 1 %.
func TestHam(t *testing.T) {
	real := filepath.Join(mtatest.SharedDir(t), "realmail")
	j, _ := testJudge(t)
	n, total, ex := judgeFolder(t, j, filepath.Join(real, "ham"))
	if total == 0 {
		t.Skip("realmail/ham is empty")
	}
	rate := float64(n) / float64(total)
	t.Logf("ham: %d of %d judged an inquiry (%.2f%%)", n, total, 100*rate)
	for i, e := range ex {
		if i == 30 {
			break
		}
		t.Log("  " + e)
	}
	if rate > 0.01 {
		t.Errorf("ham false-inquiry rate %.2f%% > 1%%", 100*rate)
	}
}

// TestSpamAndLures reports (does not enforce) how spam, inquiry-like
// lures and the charset and MIME torture sets fare: they should mostly be
// none, and none of them may panic.
func TestSpamAndLures(t *testing.T) {
	real := filepath.Join(mtatest.SharedDir(t), "realmail")
	j, _ := testJudge(t)
	for _, sub := range []string{"inquiry-like", "spam", "charsets", "mime"} {
		n, total, ex := judgeFolder(t, j, filepath.Join(real, sub))
		if total == 0 {
			continue
		}
		t.Logf("%s: %d of %d judged an inquiry (%.1f%%)", sub, n, total, 100*float64(n)/float64(total))
		for i, e := range ex {
			if i == 15 {
				break
			}
			t.Log("  " + e)
		}
	}
}
