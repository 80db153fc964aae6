package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tradesift/tradesift/filter/internal/mtatest"
	"github.com/tradesift/tradesift/filter/spool"
)

// Classification quality is measured on three labelled sets, all through
// the classify path (decode, extract, sender traits, judge) and with labels
// that follow ../shared/corpus/README.md:
//
//   - the development corpus ../shared/corpus, which the rules were tuned on;
//   - testdata/heldout (60 messages), testdata/heldout2 (50) and
//     testdata/heldout3 (45), written apart from the classifier's rules by
//     people who did not read them, to measure how it generalises. The
//     misses of heldout and heldout2 were later used as symptoms while
//     tuning cues, so they now flatter the classifier; heldout3 was added
//     after the last tuning and had not been looked at: it is the honest
//     figure (macro-F1 0.933, reply plan 0.941 when added).
//
// Each test prints the confusion matrix, per-type precision/recall/F1, the
// accuracies and every miss with its label's reason, and fails below its
// floors or when a non-inquiry gets a grade.

// evalFloors are the lowest acceptable scores of one set; zero: not checked.
type evalFloors struct {
	TypeAcc, MacroF1, PlanAcc float64
}

func TestCorpusEval(t *testing.T) {
	dir := filepath.Join(mtatest.RepoRoot(t), "..", "shared", "corpus")
	if _, err := os.Stat(filepath.Join(dir, "labels.json")); err != nil {
		t.Skip("no ../shared/corpus beside the repository")
	}
	// The requirement on the development corpus.
	evalSet(t, dir, evalFloors{TypeAcc: 0.95, PlanAcc: 0.90})
}

// The held-out floors are the targets for unseen mail.
var heldOutFloors = evalFloors{MacroF1: 0.90, PlanAcc: 0.85}

func TestHeldOut(t *testing.T) {
	evalSet(t, filepath.Join(mtatest.RepoRoot(t), "filter/pipeline/testdata/heldout"), heldOutFloors)
}

func TestHeldOut2(t *testing.T) {
	evalSet(t, filepath.Join(mtatest.RepoRoot(t), "filter/pipeline/testdata/heldout2"), heldOutFloors)
}

func TestHeldOut3(t *testing.T) {
	evalSet(t, filepath.Join(mtatest.RepoRoot(t), "filter/pipeline/testdata/heldout3"), heldOutFloors)
}

var heldOutTypes = []string{"sourcing", "market-entry", "info-gathering", "sample-seeking", "intel-probe", "none"}

func evalSet(t *testing.T, dir string, floors evalFloors) {
	t.Helper()
	labels := mtatest.LoadLabels(t, dir)
	p := newTestPipeline(t, nil)

	confusion := map[string]map[string]int{} // want -> got -> n
	for _, ty := range heldOutTypes {
		confusion[ty] = map[string]int{}
	}
	var (
		n, typeOK, planN, planOK, gradeN, gradeOK, repN, repOK int
		probeN, probeOK                                        int
		fieldN                                                 int
		fModels, fQty, fInco, fCompany, fCountry, fLang        int
		misses, fieldMisses                                    []string
	)
	for _, l := range labels {
		b, err := os.ReadFile(filepath.Join(dir, l.File))
		if err != nil {
			t.Fatal(err)
		}
		res := p.Analyze(context.Background(), spool.Envelope{}, opener(b))
		v := res.Verdict
		n++
		if _, ok := confusion[v.BuyerType]; !ok {
			confusion[v.BuyerType] = map[string]int{}
		}
		confusion[l.BuyerType][v.BuyerType]++

		var wrong []string
		if v.BuyerType == l.BuyerType {
			typeOK++
		} else {
			wrong = append(wrong, fmt.Sprintf("type %s->%s", l.BuyerType, v.BuyerType))
		}
		if v.BuyerType == "none" && (v.Grade != "" || v.ReplyPlan != "" || v.Rep != "") {
			t.Errorf("%s: classifier said none but gave grade %q plan %q rep %q", l.File, v.Grade, v.ReplyPlan, v.Rep)
		}
		if l.BuyerType == "none" {
			if v.Grade != "" || v.ReplyPlan != "" {
				t.Errorf("%s: labelled none but got grade %q plan %q (classified %s)", l.File, v.Grade, v.ReplyPlan, v.BuyerType)
			}
		} else {
			planN++
			if v.ReplyPlan == l.ReplyPlan {
				planOK++
			} else {
				wrong = append(wrong, fmt.Sprintf("plan %s->%s", l.ReplyPlan, hoOrDash(v.ReplyPlan)))
			}
			gradeN++
			if v.Grade == l.Grade {
				gradeOK++
			} else {
				wrong = append(wrong, fmt.Sprintf("grade %s->%s", l.Grade, hoOrDash(v.Grade)))
			}
			repN++
			if v.Rep == l.Rep {
				repOK++
			} else {
				wrong = append(wrong, fmt.Sprintf("rep %s->%s", l.Rep, hoOrDash(v.Rep)))
			}
			if l.ProbeKind != "" {
				probeN++
				if v.ProbeKind == l.ProbeKind {
					probeOK++
				} else {
					wrong = append(wrong, fmt.Sprintf("probe %s->%s", l.ProbeKind, hoOrDash(v.ProbeKind)))
				}
			}
			// Field extraction, informational only.
			fieldN++
			f := v.Fields
			var fw []string
			if hoSameModels(f.Models, l.Fields.Models) {
				fModels++
			} else {
				fw = append(fw, fmt.Sprintf("models %v->%v", l.Fields.Models, f.Models))
			}
			if (f.Quantity == nil && l.Fields.Quantity == nil) || (f.Quantity != nil && l.Fields.Quantity != nil && *f.Quantity == *l.Fields.Quantity) {
				fQty++
			} else {
				fw = append(fw, fmt.Sprintf("quantity %s->%s", hoIntStr(l.Fields.Quantity), hoIntStr(f.Quantity)))
			}
			if strings.EqualFold(f.Incoterm, hoDeref(l.Fields.Incoterm)) {
				fInco++
			} else {
				fw = append(fw, fmt.Sprintf("incoterm %q->%q", hoDeref(l.Fields.Incoterm), f.Incoterm))
			}
			if hoNormCompany(f.Company) == hoNormCompany(hoDeref(l.Fields.Company)) {
				fCompany++
			} else {
				fw = append(fw, fmt.Sprintf("company %q->%q", hoDeref(l.Fields.Company), f.Company))
			}
			if strings.EqualFold(f.Country, hoDeref(l.Fields.Country)) {
				fCountry++
			} else {
				fw = append(fw, fmt.Sprintf("country %q->%q", hoDeref(l.Fields.Country), f.Country))
			}
			if strings.EqualFold(f.Language, l.Fields.Language) {
				fLang++
			} else {
				fw = append(fw, fmt.Sprintf("language %q->%q", l.Fields.Language, f.Language))
			}
			if len(fw) > 0 {
				fieldMisses = append(fieldMisses, l.File+" "+strings.Join(fw, "; "))
			}
		}
		if len(wrong) > 0 {
			misses = append(misses, fmt.Sprintf("%s [%s] %s\n      why: %s", l.File, l.Fields.Language, strings.Join(wrong, "; "), l.Why))
		}
	}

	var out strings.Builder
	fmt.Fprintf(&out, "%s: %d messages\n\nbuyer-type confusion (rows = label, columns = classifier):\n", filepath.Base(dir), n)
	cols := append([]string(nil), heldOutTypes...)
	for ty := range confusion {
		if !hoContains(cols, ty) {
			cols = append(cols, ty)
		}
	}
	short := func(s string) string {
		if s == "" {
			return "(empty)"
		}
		if len(s) > 8 {
			return s[:8]
		}
		return s
	}
	fmt.Fprintf(&out, "%-16s", "")
	for _, c := range cols {
		fmt.Fprintf(&out, "%9s", short(c))
	}
	out.WriteString("\n")
	for _, r := range heldOutTypes {
		fmt.Fprintf(&out, "%-16s", r)
		for _, c := range cols {
			fmt.Fprintf(&out, "%9d", confusion[r][c])
		}
		out.WriteString("\n")
	}

	out.WriteString("\nper type:            prec   recall   F1     (support)\n")
	var macro float64
	for _, ty := range heldOutTypes {
		tp := confusion[ty][ty]
		fp, fn := 0, 0
		for _, r := range heldOutTypes {
			if r != ty {
				fp += confusion[r][ty]
			}
		}
		support := 0
		for c, k := range confusion[ty] {
			support += k
			if c != ty {
				fn += k
			}
		}
		prec, rec := hoRatio(tp, tp+fp), hoRatio(tp, tp+fn)
		f1 := 0.0
		if prec+rec > 0 {
			f1 = 2 * prec * rec / (prec + rec)
		}
		macro += f1
		fmt.Fprintf(&out, "  %-16s  %.3f  %.3f  %.3f   (%d)\n", ty, prec, rec, f1, support)
	}
	macro /= float64(len(heldOutTypes))
	planAcc := hoRatio(planOK, planN)
	typeAcc := hoRatio(typeOK, n)
	fmt.Fprintf(&out, "\nbuyer-type accuracy %d/%d = %.3f (floor %.2f)\nmacro-F1            %.3f (floor %.2f)\n", typeOK, n, typeAcc, floors.TypeAcc, macro, floors.MacroF1)
	fmt.Fprintf(&out, "reply-plan accuracy %d/%d = %.3f (floor %.2f, inquiries only)\n", planOK, planN, planAcc, floors.PlanAcc)
	fmt.Fprintf(&out, "grade accuracy      %d/%d = %.3f\n", gradeOK, gradeN, hoRatio(gradeOK, gradeN))
	fmt.Fprintf(&out, "rep accuracy        %d/%d = %.3f\n", repOK, repN, hoRatio(repOK, repN))
	fmt.Fprintf(&out, "probe-kind accuracy %d/%d = %.3f\n", probeOK, probeN, hoRatio(probeOK, probeN))
	fmt.Fprintf(&out, "fields (inquiries, informational): models %.2f  quantity %.2f  incoterm %.2f  company %.2f  country %.2f  language %.2f\n",
		hoRatio(fModels, fieldN), hoRatio(fQty, fieldN), hoRatio(fInco, fieldN), hoRatio(fCompany, fieldN), hoRatio(fCountry, fieldN), hoRatio(fLang, fieldN))
	fmt.Fprintf(&out, "\nmisses (%d):\n", len(misses))
	for _, m := range misses {
		out.WriteString("  " + m + "\n")
	}
	fmt.Fprintf(&out, "\nfield misses (informational, %d):\n", len(fieldMisses))
	for _, m := range fieldMisses {
		out.WriteString("  " + m + "\n")
	}
	t.Log("\n" + out.String())

	if typeAcc < floors.TypeAcc {
		t.Errorf("buyer-type accuracy %.3f below floor %.2f", typeAcc, floors.TypeAcc)
	}
	if macro < floors.MacroF1 {
		t.Errorf("macro-F1 %.3f below floor %.2f", macro, floors.MacroF1)
	}
	if planAcc < floors.PlanAcc {
		t.Errorf("reply-plan accuracy %.3f below floor %.2f", planAcc, floors.PlanAcc)
	}
}

func hoRatio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func hoIntStr(p *int) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

func hoOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func hoDeref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func hoContains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func hoSameModels(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x := append([]string(nil), a...)
	y := append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

func hoNormCompany(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(strings.Trim(s, " .,"))), " ")
}
