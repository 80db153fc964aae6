package mtatest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Label is one entry of a labels.json beside a set of .eml files (the
// shared corpus, the held-out sets): what a person judged the message to
// be, and why.
type Label struct {
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

// LoadLabels reads dir/labels.json; it fails t if there is none, it does
// not parse or it is empty.
func LoadLabels(t testing.TB, dir string) []Label {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ls []Label
	if err := json.Unmarshal(data, &ls); err != nil {
		t.Fatalf("%s: %v", filepath.Join(dir, "labels.json"), err)
	}
	if len(ls) == 0 {
		t.Fatalf("%s: no labels", filepath.Join(dir, "labels.json"))
	}
	return ls
}
