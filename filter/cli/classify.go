package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tradesift/tradesift/filter/auth"
	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/extract"
	"github.com/tradesift/tradesift/filter/pipeline"
	"github.com/tradesift/tradesift/filter/spool"
	"github.com/tradesift/tradesift/filter/tag"
)

// classifyOutput is one message's line in `classify -json`.
type classifyOutput struct {
	File      string          `json:"file"`
	Error     string          `json:"error,omitempty"`
	BuyerType string          `json:"buyer_type"`
	Grade     string          `json:"grade"`
	ReplyPlan string          `json:"reply_plan"`
	ProbeKind string          `json:"probe_kind"`
	Rep       string          `json:"rep"`
	Signals   []string        `json:"signals"`
	Auth      *authOutput     `json:"auth,omitempty"`
	Fields    *extract.Fields `json:"fields,omitempty"`
}

type authOutput struct {
	DKIM  string `json:"dkim"`
	SPF   string `json:"spf"`
	DMARC string `json:"dmarc"`
}

func classify(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f := newFlags("classify", stderr)
	asJSON := f.Bool("json", false, "one JSON object per message")
	dns := f.String("dns", "", "DNS server host:port for DKIM/DMARC (default: [dns] resolver; none: not checked)")
	c, ok := f.load(args, stderr)
	if !ok {
		return 2
	}
	files := f.Args()
	if len(files) == 0 {
		fmt.Fprintln(stderr, "tradesift classify: name at least one message file, or - for standard input")
		return 2
	}
	if *dns != "" {
		c.DNS.Resolver = *dns
	}
	ch, err := offlineChecker(c)
	if err != nil {
		fmt.Fprintf(stderr, "tradesift classify: %v\n", err)
		return 1
	}
	p, err := pipeline.New(c, ch, nil, nil)
	if err != nil {
		fmt.Fprintf(stderr, "tradesift classify: %v\n", err)
		return 1
	}
	status := 0
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, name := range files {
		out := classifyOne(p, name, stdin)
		if out.Error != "" {
			status = 1
		}
		if *asJSON {
			enc.Encode(out)
			continue
		}
		if out.Error != "" {
			fmt.Fprintf(stdout, "%s: error: %s\n", out.File, out.Error)
			continue
		}
		fmt.Fprintf(stdout, "%s: %s grade=%s plan=%s rep=%s\n  signals: %s\n", out.File, out.BuyerType,
			dash(out.Grade), dash(out.ReplyPlan), dash(out.Rep), strings.Join(out.Signals, ", "))
	}
	return status
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// offlineChecker builds the authentication step for the CLI: only with a
// configured DNS server, so that classify never waits for, or fails on,
// DNS it was not given.
func offlineChecker(c *config.Config) (*auth.Checker, error) {
	if c.DNS.Resolver == "" {
		return auth.NewWithResolver(c, nil), nil
	}
	return auth.New(c)
}

func classifyOne(p *pipeline.Pipeline, name string, stdin io.Reader) (out classifyOutput) {
	out.File = name
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		out.Error = err.Error()
		return out
	}
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	res := p.Analyze(context.Background(), spool.Envelope{}, open)
	v := res.Verdict
	out.BuyerType, out.Grade, out.ReplyPlan, out.ProbeKind, out.Rep = v.BuyerType, v.Grade, v.ReplyPlan, v.ProbeKind, v.Rep
	out.Signals = tag.Signals(v, res.Extra)
	if out.Signals == nil {
		out.Signals = []string{}
	}
	fields := v.Fields
	if fields.Models == nil {
		fields.Models = []string{}
	}
	out.Fields = &fields
	if res.Auth.DKIM != "" {
		out.Auth = &authOutput{DKIM: res.Auth.DKIM, SPF: res.Auth.SPF, DMARC: res.Auth.DMARC}
	}
	return out
}
