package judge

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/internal/mtatest"
	"github.com/tradesift/tradesift/filter/sender"
)

// FuzzClassify: decode, extract and judge any bytes without a panic, and
// never grade a message judged none.
func FuzzClassify(f *testing.F) {
	cfg := testConfig(f)
	j, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	x := extractorFor(cfg)
	if files, _ := filepath.Glob(filepath.Join(mtatest.RepoRoot(f), "..", "shared", "corpus", "*.eml")); len(files) > 0 {
		for _, p := range files[:min(len(files), 20)] {
			if raw, err := os.ReadFile(p); err == nil {
				f.Add(raw)
			}
		}
	}
	f.Add([]byte("Subject: Re: free sample\r\nFrom: a@b\r\n\r\nplease send free sample of scooter ER-K200 2026年3月"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := decode.Parse(bytes.NewReader(raw), decode.Limits{})
		if err != nil || m == nil {
			return
		}
		v := j.Judge(m, x.Extract(m), sender.Analyze(m, &cfg.Supplier, nil))
		if v.BuyerType == None && (v.Grade != "" || v.ReplyPlan != "" || v.Rep != "" || v.ProbeKind != "") {
			t.Fatalf("none with grade/plan/rep: %+v", v)
		}
		if v.BuyerType != None && (v.Grade == "" || v.ReplyPlan == "") {
			t.Fatalf("inquiry without grade or plan: %+v", v)
		}
	})
}
