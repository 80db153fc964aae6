package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/draft"
	"github.com/tradesift/tradesift/filter/judge"
	"github.com/tradesift/tradesift/filter/pipeline"
	"github.com/tradesift/tradesift/filter/spool"
)

// newPipeline builds the classification steps as serve would; with ch nil,
// authentication is not checked.
func newPipeline(c *config.Config) (*pipeline.Pipeline, error) {
	ch, err := offlineChecker(c)
	if err != nil {
		return nil, err
	}
	if _, err := draft.New(c.Drafts.Templates, &c.Supplier); err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	return pipeline.New(c, ch, nil, nil)
}

func templatesCheck(args []string, stdout, stderr io.Writer) int {
	f := newFlags("templates check", stderr)
	c, ok := f.load(args, stderr)
	if !ok {
		return 2
	}
	errs := draft.CheckDir(c.Drafts.Templates, &c.Supplier)
	for _, err := range errs {
		fmt.Fprintln(stderr, err)
	}
	if len(errs) > 0 {
		return 1
	}
	where := c.Drafts.Templates
	if where == "" {
		where = "embedded templates"
	}
	fmt.Fprintf(stdout, "%s: OK\n", where)
	return 0
}

func draftCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f := newFlags("draft", stderr)
	c, ok := f.load(args, stderr)
	if !ok {
		return 2
	}
	if f.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: tradesift draft -config FILE MSG.eml (- for standard input)")
		return 2
	}
	name := f.Arg(0)
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		fmt.Fprintf(stderr, "tradesift draft: %v\n", err)
		return 1
	}
	p, err := newPipeline(c)
	if err != nil {
		fmt.Fprintf(stderr, "tradesift draft: %v\n", err)
		return 1
	}
	r, err := draft.New(c.Drafts.Templates, &c.Supplier)
	if err != nil {
		fmt.Fprintf(stderr, "tradesift draft: templates: %v\n", err)
		return 1
	}
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	res := p.Analyze(context.Background(), spool.Envelope{}, open)
	v := res.Verdict
	if v.BuyerType == judge.None || res.Message == nil {
		fmt.Fprintf(stderr, "%s: not a buyer inquiry (X-Buyer-Type: none): no draft\n", name)
		return 1
	}
	rep := c.Supplier.RepByID(v.Rep)
	if rep == nil {
		rep = c.Supplier.RepByID(c.Supplier.DefaultRep)
	}
	if rep == nil {
		fmt.Fprintf(stderr, "%s: no rep %q configured\n", name, v.Rep)
		return 1
	}
	d, err := r.Draft(res.Message, v, *rep, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "tradesift draft: %v\n", err)
		return 1
	}
	if !slices.Contains(c.Drafts.Grades, v.Grade) {
		fmt.Fprintf(stderr, "note: grade %s is not in drafts.grades; serve would not queue this draft\n", v.Grade)
	}
	stdout.Write(d.Bytes)
	return 0
}
