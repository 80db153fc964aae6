package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tradesift/tradesift/filter/spool"
)

// The second held-out set (testdata/heldout2, k001.eml … k050.eml) is 50
// further messages written without looking at the classifier's code, its rule
// files or the first held-out set, to check that the classifier generalises.
// Labels follow ../shared/corpus/README.md (same schema as its labels.json).
//
// The floors are deliberately low; raise them as the classifier improves.
const (
	heldOut2MacroF1Floor = 0.70
	heldOut2PlanAccFloor = 0.60
	heldOut2RelPath      = "filter/pipeline/testdata/heldout2"
)

type heldOut2Label struct {
	File      string `json:"file"`
	BuyerType string `json:"buyer_type"`
	Grade     string `json:"grade"`
	ReplyPlan string `json:"reply_plan"`
	ProbeKind string `json:"probe_kind"`
	Rep       string `json:"rep"`
	Fields    struct {
		Models   []string `json:"models"`
		Quantity *int     `json:"quantity"`
		Incoterm *string  `json:"incoterm"`
		Company  *string  `json:"company"`
		Country  *string  `json:"country"`
		Language string   `json:"language"`
	} `json:"fields"`
	Why string `json:"why"`
}

var heldOut2Types = []string{"sourcing", "market-entry", "info-gathering", "sample-seeking", "intel-probe", "none"}

func h2Dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func h2Int(p *int) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

func h2Str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func h2SameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x := append([]string(nil), a...)
	y := append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if !strings.EqualFold(x[i], y[i]) {
			return false
		}
	}
	return true
}

func h2Pct(ok, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(ok) / float64(n)
}

func TestHeldOut2(t *testing.T) {
	dir := filepath.Join(repoRoot(t), heldOut2RelPath)
	raw, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []heldOut2Label
	if err := json.Unmarshal(raw, &labels); err != nil {
		t.Fatal(err)
	}
	if len(labels) == 0 {
		t.Fatal("no labels in heldout2")
	}
	p := newTestPipeline(t, nil)

	confusion := map[string]map[string]int{} // want -> got -> n
	var (
		n, typeOK, planN, planOK, gradeN, gradeOK, repN, repOK, probeN, probeOK int
		fieldN, fModels, fQty, fInco, fCompany, fCountry, fLang                 int
		misses, fieldMisses                                                     []string
	)
	extraTypes := map[string]bool{}
	for _, l := range labels {
		b, err := os.ReadFile(filepath.Join(dir, l.File))
		if err != nil {
			t.Fatal(err)
		}
		res := p.Analyze(context.Background(), spool.Envelope{}, opener(b))
		v := res.Verdict
		n++
		if confusion[l.BuyerType] == nil {
			confusion[l.BuyerType] = map[string]int{}
		}
		confusion[l.BuyerType][v.BuyerType]++
		known := false
		for _, ty := range heldOut2Types {
			known = known || ty == v.BuyerType
		}
		if !known {
			extraTypes[v.BuyerType] = true
		}

		var wrong []string
		if v.BuyerType == l.BuyerType {
			typeOK++
		} else {
			wrong = append(wrong, fmt.Sprintf("type %s->%s", l.BuyerType, h2Dash(v.BuyerType)))
		}
		if v.BuyerType == "none" && (v.Grade != "" || v.ReplyPlan != "") {
			t.Errorf("%s: classified none but graded %q / plan %q", l.File, v.Grade, v.ReplyPlan)
		}
		if l.BuyerType == "none" {
			if v.Grade != "" {
				t.Errorf("%s: labelled none but got grade %q (plan %q, classified %s)", l.File, v.Grade, v.ReplyPlan, v.BuyerType)
			}
		} else {
			planN++
			if v.ReplyPlan == l.ReplyPlan {
				planOK++
			} else {
				wrong = append(wrong, fmt.Sprintf("plan %s->%s", l.ReplyPlan, h2Dash(v.ReplyPlan)))
			}
			gradeN++
			if v.Grade == l.Grade {
				gradeOK++
			} else {
				wrong = append(wrong, fmt.Sprintf("grade %s->%s", l.Grade, h2Dash(v.Grade)))
			}
			repN++
			if v.Rep == l.Rep {
				repOK++
			} else {
				wrong = append(wrong, fmt.Sprintf("rep %s->%s", l.Rep, h2Dash(v.Rep)))
			}
			if l.ProbeKind != "" {
				probeN++
				if v.ProbeKind == l.ProbeKind {
					probeOK++
				} else {
					wrong = append(wrong, fmt.Sprintf("probe %s->%s", l.ProbeKind, h2Dash(v.ProbeKind)))
				}
			}
			// Field extraction: reported, not gated.
			fieldN++
			f := v.Fields
			var fw []string
			if h2SameSet(f.Models, l.Fields.Models) {
				fModels++
			} else {
				fw = append(fw, fmt.Sprintf("models %v->%v", l.Fields.Models, f.Models))
			}
			if (f.Quantity == nil) == (l.Fields.Quantity == nil) && (f.Quantity == nil || *f.Quantity == *l.Fields.Quantity) {
				fQty++
			} else {
				fw = append(fw, fmt.Sprintf("quantity %s->%s", h2Int(l.Fields.Quantity), h2Int(f.Quantity)))
			}
			if strings.EqualFold(f.Incoterm, h2Str(l.Fields.Incoterm)) {
				fInco++
			} else {
				fw = append(fw, fmt.Sprintf("incoterm %s->%s", h2Dash(h2Str(l.Fields.Incoterm)), h2Dash(f.Incoterm)))
			}
			if strings.EqualFold(strings.TrimSpace(f.Company), h2Str(l.Fields.Company)) {
				fCompany++
			} else {
				fw = append(fw, fmt.Sprintf("company %q->%q", h2Str(l.Fields.Company), f.Company))
			}
			if strings.EqualFold(f.Country, h2Str(l.Fields.Country)) {
				fCountry++
			} else {
				fw = append(fw, fmt.Sprintf("country %s->%s", h2Dash(h2Str(l.Fields.Country)), h2Dash(f.Country)))
			}
			if strings.EqualFold(f.Language, l.Fields.Language) {
				fLang++
			} else {
				fw = append(fw, fmt.Sprintf("language %s->%s", l.Fields.Language, h2Dash(f.Language)))
			}
			if len(fw) > 0 {
				fieldMisses = append(fieldMisses, fmt.Sprintf("%s: %s", l.File, strings.Join(fw, ", ")))
			}
		}
		if len(wrong) > 0 {
			misses = append(misses, fmt.Sprintf("%s [%s]: %s\n      why: %s", l.File, l.BuyerType, strings.Join(wrong, "; "), l.Why))
		}
	}

	cols := append([]string(nil), heldOut2Types...)
	for ty := range extraTypes {
		cols = append(cols, ty)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "held-out set 2: %d messages\n\nconfusion (rows = label, columns = classifier):\n%-16s", n, "")
	for _, c := range cols {
		fmt.Fprintf(&sb, " %14s", c)
	}
	sb.WriteString("\n")
	for _, r := range heldOut2Types {
		fmt.Fprintf(&sb, "%-16s", r)
		for _, c := range cols {
			fmt.Fprintf(&sb, " %14d", confusion[r][c])
		}
		sb.WriteString("\n")
	}

	sb.WriteString("\nper buyer type:\n")
	var sumF1 float64
	for _, ty := range heldOut2Types {
		tp := confusion[ty][ty]
		var pred, actual int
		for _, r := range heldOut2Types {
			pred += confusion[r][ty]
		}
		for _, c := range cols {
			actual += confusion[ty][c]
		}
		prec, rec := h2Pct(tp, pred), h2Pct(tp, actual)
		f1 := 0.0
		if prec+rec > 0 {
			f1 = 2 * prec * rec / (prec + rec)
		}
		sumF1 += f1
		fmt.Fprintf(&sb, "  %-15s P %.2f  R %.2f  F1 %.2f  (n=%d, predicted=%d)\n", ty, prec, rec, f1, actual, pred)
	}
	macroF1 := sumF1 / float64(len(heldOut2Types))
	planAcc := h2Pct(planOK, planN)
	fmt.Fprintf(&sb, "\nbuyer-type accuracy %.3f (%d/%d)\nmacro-F1            %.3f\n", h2Pct(typeOK, n), typeOK, n, macroF1)
	fmt.Fprintf(&sb, "reply-plan accuracy %.3f (%d/%d inquiries)\n", planAcc, planOK, planN)
	fmt.Fprintf(&sb, "grade accuracy      %.3f (%d/%d)\n", h2Pct(gradeOK, gradeN), gradeOK, gradeN)
	fmt.Fprintf(&sb, "rep accuracy        %.3f (%d/%d)\n", h2Pct(repOK, repN), repOK, repN)
	fmt.Fprintf(&sb, "probe-kind accuracy %.3f (%d/%d)\n", h2Pct(probeOK, probeN), probeOK, probeN)
	fmt.Fprintf(&sb, "fields (inquiries, informational): models %d/%d, quantity %d/%d, incoterm %d/%d, company %d/%d, country %d/%d, language %d/%d\n",
		fModels, fieldN, fQty, fieldN, fInco, fieldN, fCompany, fieldN, fCountry, fieldN, fLang, fieldN)
	fmt.Fprintf(&sb, "\nmisses (%d):\n", len(misses))
	for _, m := range misses {
		sb.WriteString("  " + m + "\n")
	}
	fmt.Fprintf(&sb, "\nfield misses (%d, informational):\n", len(fieldMisses))
	for _, m := range fieldMisses {
		sb.WriteString("  " + m + "\n")
	}
	t.Log("\n" + sb.String())

	if macroF1 < heldOut2MacroF1Floor {
		t.Errorf("macro-F1 %.3f below floor %.2f", macroF1, heldOut2MacroF1Floor)
	}
	if planAcc < heldOut2PlanAccFloor {
		t.Errorf("reply-plan accuracy %.3f below floor %.2f", planAcc, heldOut2PlanAccFloor)
	}
}
