package judge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/extract"
)

// repoRoot walks up from the working directory to go.mod.
func repoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

func sharedDir(t testing.TB) string {
	d := filepath.Join(repoRoot(t), "..", "shared")
	if _, err := os.Stat(d); err != nil {
		t.Skipf("shared data not found at %s", d)
	}
	return d
}

func testConfig(t testing.TB) *config.Config {
	cfg, err := config.Load(filepath.Join(repoRoot(t), "config.example.toml"))
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

// label is one entry of corpus/labels.json.
type label struct {
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
		Language *string  `json:"language"`
	} `json:"fields"`
	Why string `json:"why"`
}

func loadLabels(t testing.TB, dir string) []label {
	data, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ls []label
	if err := json.Unmarshal(data, &ls); err != nil {
		t.Fatal(err)
	}
	return ls
}

// parseFallback is a minimal decoder used until filter/decode lands.
func parseFallback(raw []byte) *decode.Message {
	m := &decode.Message{}
	e, err := message.Read(bytes.NewReader(raw))
	if e == nil {
		_ = err
		return m
	}
	m.Header = e.Header.Header
	h := mail.Header{Header: e.Header}
	m.Subject, _ = h.Subject()
	if l, err := h.AddressList("From"); err == nil && len(l) > 0 {
		m.From = decode.Address{Name: l[0].Name, Addr: strings.ToLower(l[0].Address)}
	}
	if l, err := h.AddressList("Reply-To"); err == nil {
		for _, a := range l {
			m.ReplyTo = append(m.ReplyTo, decode.Address{Name: a.Name, Addr: strings.ToLower(a.Address)})
		}
	}
	if d, err := h.Date(); err == nil && !d.IsZero() {
		m.Date, m.HasDate = d, true
	}
	m.InReplyTo, _ = h.MsgIDList("In-Reply-To")
	m.References, _ = h.MsgIDList("References")
	m.MediaType, _, _ = e.Header.ContentType()
	var plain, html string
	var walk func(e *message.Entity, depth int)
	walk = func(e *message.Entity, depth int) {
		if depth > 10 {
			return
		}
		if mr := e.MultipartReader(); mr != nil {
			for {
				p, err := mr.NextPart()
				if err != nil {
					return
				}
				walk(p, depth+1)
			}
		}
		mt, params, _ := e.Header.ContentType()
		m.Parts = append(m.Parts, mt)
		if cs := strings.ToLower(params["charset"]); cs != "" {
			m.Charsets = append(m.Charsets, cs)
		}
		b, _ := io.ReadAll(io.LimitReader(e.Body, 1<<20))
		switch mt {
		case "text/plain":
			if plain == "" {
				plain = string(b)
			}
		case "text/html":
			if html == "" {
				html = stripTags(string(b))
			}
		case "message/delivery-status", "message/disposition-notification", "text/rfc822-headers":
		default:
			m.Attachments = append(m.Attachments, decode.Attachment{ContentType: mt})
		}
	}
	walk(e, 0)
	m.Text = plain
	if m.Text == "" {
		m.Text = html
	}
	// Split quoted text.
	var keep []string
	for _, line := range strings.Split(m.Text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), ">") {
			m.Quoted += line + "\n"
			continue
		}
		keep = append(keep, line)
	}
	m.Text = strings.Join(keep, "\n")
	return m
}

var tagRe = regexp.MustCompile(`(?s)<style.*?</style>|<[^>]*>`)

func stripTags(s string) string {
	s = tagRe.ReplaceAllString(s, " ")
	s = strings.NewReplacer("&nbsp;", " ", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", "\"", "&#39;", "'").Replace(s)
	return s
}

// senderFallback computes the sender signals the profile's §3 names, until
// filter/sender lands.
func senderFallback(m *decode.Message, s *config.Supplier) []string {
	var out []string
	from := m.From.Domain()
	for _, c := range s.Competitors {
		if from == c {
			out = append(out, "competitor-domain")
		}
		for _, r := range m.ReplyTo {
			if r.Domain() == c {
				out = append(out, "competitor-domain")
			}
		}
	}
	if lookalike(from, s.Domain) {
		out = append(out, "lookalike-own-domain")
	}
	for _, c := range s.Customers {
		if lookalike(from, c) {
			out = append(out, "lookalike-customer-domain")
		}
	}
	for _, r := range m.ReplyTo {
		if d := r.Domain(); d != "" && d != from {
			out = append(out, "reply-to-other-domain")
			if isFreemail(d) {
				out = append(out, "reply-to-freemail")
			}
		}
	}
	if isFreemail(from) {
		out = append(out, "freemail-sender")
	}
	xm := strings.ToLower(m.Header.Get("X-Mailer"))
	for _, w := range []string{"foxmail", "netease", "qqmail", "coremail", "dingtalk", "aliyun"} {
		if strings.Contains(xm, w) {
			out = append(out, "china-mailer")
			break
		}
	}
	if m.HasDate {
		if _, off := m.Date.Zone(); off == 8*3600 {
			out = append(out, "date-plus0800")
		}
	}
	for _, c := range m.Charsets {
		if c == "gb2312" || c == "gbk" || c == "gb18030" {
			out = append(out, "gb-charset")
			break
		}
	}
	ar := strings.ToLower(strings.Join(m.Header.Values("Authentication-Results"), " "))
	for _, k := range []string{"dkim", "spf", "dmarc"} {
		if strings.Contains(ar, k+"=fail") || strings.Contains(ar, k+"=softfail") && k == "spf" {
			out = append(out, k+"-fail")
		}
	}
	return out
}

func lookalike(d, target string) bool {
	if d == "" || target == "" || d == target {
		return false
	}
	base := func(s string) string {
		if i := strings.IndexByte(s, '.'); i > 0 {
			return s[:i]
		}
		return s
	}
	if base(d) == base(target) { // TLD swap
		return true
	}
	norm := strings.NewReplacer("0", "o", "1", "l", "-", "", "rn", "m").Replace
	if norm(base(d)) == norm(base(target)) {
		return true
	}
	return editDistance(d, target) <= 2
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev = cur
	}
	return prev[len(b)]
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

// fieldsFromLabel stands in for filter/extract until it lands.
func fieldsFromLabel(l label) extract.Fields {
	var f extract.Fields
	f.Models = l.Fields.Models
	f.Quantity = l.Fields.Quantity
	if l.Fields.Incoterm != nil {
		f.Incoterm = *l.Fields.Incoterm
	}
	if l.Fields.Company != nil {
		f.Company = *l.Fields.Company
	}
	if l.Fields.Country != nil {
		f.Country = *l.Fields.Country
	}
	if l.Fields.Language != nil {
		f.Language = *l.Fields.Language
	}
	return f
}
