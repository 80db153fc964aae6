package judge

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/extract"
	"github.com/tradesift/tradesift/filter/internal/mtatest"
	"github.com/tradesift/tradesift/filter/sender"
)

var (
	extractorMu  sync.Mutex
	extractorCfg *config.Config
	extractorX   *extract.Extractor
)

// extractorFor builds the extractor once per configuration.
func extractorFor(cfg *config.Config) *extract.Extractor {
	extractorMu.Lock()
	defer extractorMu.Unlock()
	if extractorCfg != cfg {
		x, err := extract.New(&cfg.Supplier)
		if err != nil {
			panic(err)
		}
		extractorCfg, extractorX = cfg, x
	}
	return extractorX
}

// prepare runs the steps before the judgement: decode, extract, sender
// signals.
func prepare(cfg *config.Config, raw []byte, lbl *label) (*decode.Message, extract.Fields, []string) {
	m, err := decode.Parse(bytes.NewReader(raw), decode.Limits{})
	if err != nil || m == nil {
		m = &decode.Message{}
	}
	f := extractorFor(cfg).Extract(m)
	return m, f, append(sender.Analyze(m, &cfg.Supplier, dkimDomains(m)), authFromHeader(m)...)
}

// analyze runs one raw message through the classify path.
func analyze(j *Judge, cfg *config.Config, raw []byte, lbl *label) (Verdict, *decode.Message) {
	m, f, s := prepare(cfg, raw, lbl)
	return j.Judge(m, f, s), m
}

// TestCorpus runs the labelled corpus through the classify path and fails
// below the accuracy floors (buyer type 95 %, reply plan 90 %).
func TestCorpus(t *testing.T) {
	dir := filepath.Join(mtatest.SharedDir(t), "corpus")
	labels := loadLabels(t, dir)
	j, cfg := testJudge(t)
	var types, plans, grades, reps, kinds [][2]string
	okType, okPlan, okGrade, okRep, graded := 0, 0, 0, 0, 0
	var out strings.Builder
	for _, l := range labels {
		raw, err := os.ReadFile(filepath.Join(dir, l.File))
		if err != nil {
			t.Fatal(err)
		}
		m, f, sg := prepare(cfg, raw, &l)
		if os.Getenv("JUDGE_NOSUBJECT") != "" { // robustness check
			m.Subject = ""
		}
		if os.Getenv("JUDGE_NOSENDER") != "" { // text alone
			sg = nil
		}
		if os.Getenv("JUDGE_NOSIG") != "" { // cues from the body alone
			m.Signature = ""
		}
		ev := evidence{score: map[string]float64{}, text: map[string]float64{}, plans: map[string]string{}}
		v := j.judge(m, f, sg, &ev)
		if os.Getenv("JUDGE_DEBUG") != "" {
			var sc []string
			for _, s := range sortedScores(ev.score) {
				if s.Weight != 0 {
					sc = append(sc, fmt.Sprintf("%s=%.1f", s.Name, s.Weight))
				}
			}
			fmt.Fprintf(&out, "%-9s %-15s %-15s %s\n", l.File, l.BuyerType, v.BuyerType, strings.Join(sc, " "))
		}
		types = append(types, [2]string{l.BuyerType, v.BuyerType})
		plans = append(plans, [2]string{l.ReplyPlan, v.ReplyPlan})
		grades = append(grades, [2]string{l.Grade, v.Grade})
		reps = append(reps, [2]string{l.Rep, v.Rep})
		if l.BuyerType == IntelProbe {
			kinds = append(kinds, [2]string{l.ProbeKind, v.ProbeKind})
		}
		if l.BuyerType == v.BuyerType {
			okType++
		}
		if l.ReplyPlan == v.ReplyPlan {
			okPlan++
		}
		if l.Grade == v.Grade {
			okGrade++
		}
		if l.Rep == v.Rep {
			okRep++
		}
		if l.BuyerType == None && v.Grade != "" {
			graded++
		}
		if os.Getenv("JUDGE_DEBUG") == "signals" {
			fmt.Fprintf(&out, "%s %s/%s/%s/%s/%s %v\n", l.File, v.BuyerType, v.ProbeKind, v.Grade, v.ReplyPlan, v.Rep, v.Signals)
		}
		if l.BuyerType != v.BuyerType || l.ReplyPlan != v.ReplyPlan || l.ProbeKind != v.ProbeKind {
			var sig []string
			for _, s := range v.Signals {
				sig = append(sig, s.Name)
			}
			out.WriteString(l.File + ": want " + l.BuyerType + "/" + l.ProbeKind + "/" + l.ReplyPlan + " got " + v.BuyerType + "/" + v.ProbeKind + "/" + v.ReplyPlan + "  [" + strings.Join(sig, " ") + "]\n")
		}
	}
	n := float64(len(labels))
	confusion(&out, "buyer type", types)
	confusion(&out, "reply plan", plans)
	confusion(&out, "probe kind", kinds)
	t.Logf("\n%s", out.String())
	t.Logf("corpus %d messages: buyer type %.1f%%, reply plan %.1f%%, grade %.1f%%, rep %.1f%%, none graded %d",
		len(labels), 100*float64(okType)/n, 100*float64(okPlan)/n, 100*float64(okGrade)/n, 100*float64(okRep)/n, graded)
	if float64(okType)/n < 0.95 {
		t.Errorf("buyer type accuracy %.1f%% < 95%%", 100*float64(okType)/n)
	}
	if float64(okPlan)/n < 0.90 {
		t.Errorf("reply plan accuracy %.1f%% < 90%%", 100*float64(okPlan)/n)
	}
	if graded > 0 {
		t.Errorf("%d none messages got a grade", graded)
	}
}
