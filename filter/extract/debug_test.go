package extract

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestDebugOne(t *testing.T) {
	f := os.Getenv("EXTRACT_DEBUG")
	if f == "" {
		t.Skip()
	}
	dir := corpusDir(t)
	x := exampleExtractor(t)
	m := parseFile(t, filepath.Join(dir, f))
	fmt.Printf("TEXT:\n%s\nSIG:\n%s\nQUOTED:\n%.300s\n", m.Text, m.Signature, m.Quoted)
	debugCompany = true
	g := x.Extract(m)
	fmt.Printf("%+v\n", g)
	if g.Quantity != nil {
		fmt.Println("qty", *g.Quantity)
	}
}
