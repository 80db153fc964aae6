// Package sender reads the header of a message for traits of a competitor
// posing as a foreign buyer (shared/profile.md §3): a listed competitor's
// domain, look-alikes of our own or a customer's domain, a Reply-To that
// leads elsewhere, free mail, Chinese-market mail clients, a +0800 Date and
// GB-encoded text. It needs no DNS; each trait is a signal with a stable
// name for X-Buyer-Signals and the classifier. None proves anything alone.
//
// The lists (free-mail providers, mailers, confusable characters) are data
// files in data/, embedded in the binary.
package sender

import (
	"bufio"
	_ "embed"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/net/publicsuffix"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
)

// Signal names, in the order Analyze reports them.
const (
	CompetitorDomain        = "competitor-domain"
	LookalikeOwnDomain      = "lookalike-own-domain"
	LookalikeCustomerDomain = "lookalike-customer-domain"
	ReplyToOtherDomain      = "reply-to-other-domain"
	ReplyToFreemail         = "reply-to-freemail"
	FreemailSender          = "freemail-sender"
	ChinaMailer             = "china-mailer"
	DatePlus0800            = "date-plus0800"
	GBCharset               = "gb-charset"
)

var (
	//go:embed data/freemail.txt
	freemailData string
	//go:embed data/mailers.txt
	mailersData string
	//go:embed data/confusables.txt
	confusablesData string
)

// Analyze returns the sender signals of m, in the order of the constants
// above. s gives our domain, competitors and customers; dkimDomains are
// the d= of the message's DKIM signatures (auth.Result.DKIMDomains).
//
// It prepares s for this one call; the relay prepares its supplier once
// per configuration (Prepare) and calls Known.Analyze.
func Analyze(m *decode.Message, s *config.Supplier, dkimDomains []string) []string {
	if m == nil {
		return nil
	}
	return Prepare(s).Analyze(m, dkimDomains)
}

// Known is a supplier's own, competitors' and customers' domains prepared
// for Analyze: cleaned, and parsed for the look-alike comparison. Build it
// with Prepare when the configuration is loaded; it is read-only and safe
// for concurrent use.
type Known struct {
	own         string
	ownLabel    *label // nil when own is empty or has no registrable label
	competitors []string
	customers   []string // cleaned; "" entries kept, they match nothing
	custLabels  []label  // of the non-empty customers that parse

	// parsed caches parseLabel of the domains messages come from (a
	// *label, nil when it does not parse), up to maxParsed of them:
	// the same senders write again and again.
	parsed  sync.Map
	nParsed atomic.Int64
}

const maxParsed = 10000

// label returns parseLabel(d), from the cache when it can.
func (k *Known) label(d string) *label {
	if v, ok := k.parsed.Load(d); ok {
		return v.(*label)
	}
	var lp *label
	if l, ok := parseLabel(d); ok {
		lp = &l
	}
	if k.nParsed.Add(1) <= maxParsed {
		k.parsed.Store(d, lp)
	}
	return lp
}

// Prepare builds the Known domains of s (which may be nil).
func Prepare(s *config.Supplier) *Known {
	k := &Known{}
	if s == nil {
		return k
	}
	k.own = cleanDomain(s.Domain)
	if k.own != "" {
		if l, ok := parseLabel(k.own); ok {
			k.ownLabel = &l
		}
	}
	for _, c := range s.Competitors {
		k.competitors = append(k.competitors, cleanDomain(c))
	}
	for _, c := range s.Customers {
		c = cleanDomain(c)
		k.customers = append(k.customers, c)
		if c == "" {
			continue
		}
		if l, ok := parseLabel(c); ok {
			k.custLabels = append(k.custLabels, l)
		}
	}
	return k
}

// Analyze is the package's Analyze with the supplier prepared.
func (k *Known) Analyze(m *decode.Message, dkimDomains []string) []string {
	if m == nil {
		return nil
	}
	var out []string
	add := func(sig string, on bool) {
		if on {
			out = append(out, sig)
		}
	}
	from := cleanDomain(m.From.Domain())
	var replyTo []decode.Address
	for _, a := range m.ReplyTo {
		if a.Addr != "" {
			replyTo = append(replyTo, a)
		}
	}
	// The identities a sender controls or claims.
	ids := []string{from, cleanDomain(domainOf(m.ReturnPath))}
	for _, a := range replyTo {
		ids = append(ids, cleanDomain(a.Domain()))
	}
	for _, d := range dkimDomains {
		ids = append(ids, cleanDomain(d))
	}

	own, competitors, customers := k.own, k.competitors, k.customers
	add(CompetitorDomain, anyDomain(ids, func(d string) bool {
		for _, c := range competitors {
			if isWithin(d, c) {
				return true
			}
		}
		return false
	}))
	// A domain we know (ours, a customer's: a customer may have several,
	// scootworld.de and scootworld.com) is no look-alike of another.
	known := func(d string) bool {
		if isWithin(d, own) {
			return true
		}
		for _, c := range customers {
			if isWithin(d, c) {
				return true
			}
		}
		return false
	}
	// Each unknown identity is parsed once for both look-alike tests.
	labels := make([]*label, len(ids))
	parsed := make([]bool, len(ids))
	var labelOf func(i int) *label
	labelOf = func(i int) *label {
		if !parsed[i] {
			parsed[i] = true
			if j := slices.Index(ids, ids[i]); j < i {
				labels[i] = labelOf(j) // From and Reply-To often agree
			} else {
				labels[i] = k.label(ids[i])
			}
		}
		return labels[i]
	}
	lookalike := func(target func(c *label) bool) bool {
		for i, d := range ids {
			if d == "" || known(d) {
				continue
			}
			if c := labelOf(i); c != nil && target(c) {
				return true
			}
		}
		return false
	}
	add(LookalikeOwnDomain, own != "" && k.ownLabel != nil && lookalike(func(c *label) bool { return c.lookAlike(k.ownLabel) }))
	add(LookalikeCustomerDomain, len(k.custLabels) > 0 && lookalike(func(c *label) bool {
		for i := range k.custLabels {
			if c.lookAlike(&k.custLabels[i]) {
				return true
			}
		}
		return false
	}))

	fromAddr := strings.ToLower(m.From.Addr)
	otherDomain, freeReply := false, false
	for _, a := range replyTo {
		d := cleanDomain(a.Domain())
		if d == "" || strings.EqualFold(a.Addr, fromAddr) {
			continue
		}
		if from != "" && orgDomain(d) != orgDomain(from) {
			otherDomain = true
		}
		if isFreemail(d) {
			freeReply = true
		}
	}
	add(ReplyToOtherDomain, otherDomain)
	add(ReplyToFreemail, freeReply)
	add(FreemailSender, from != "" && isFreemail(from))
	add(ChinaMailer, chinaMailer(m))
	add(DatePlus0800, datePlus0800(m))
	add(GBCharset, gbCharset(m))
	return out
}

func anyDomain(ds []string, f func(string) bool) bool {
	for _, d := range ds {
		if d != "" && f(d) {
			return true
		}
	}
	return false
}

// isWithin tells whether d is parent or a subdomain of it.
func isWithin(d, parent string) bool {
	return parent != "" && (d == parent || strings.HasSuffix(d, "."+parent))
}

func cleanDomain(d string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(d), ".[]<>"))
}

func domainOf(addr string) string {
	addr = strings.Trim(strings.TrimSpace(addr), "<>")
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}

// orgDomain is the registrable domain (public suffix plus one label).
func orgDomain(d string) string {
	if org, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
		return org
	}
	return d
}

// freemail is the parsed data/freemail.txt: exact domains (subdomains
// match too) and names valid under any public suffix ("yahoo.*").
var freemail = parseFreemail(freemailData)

type freemailList struct {
	domains map[string]bool
	anyTLD  map[string]bool
}

func parseFreemail(data string) freemailList {
	l := freemailList{domains: map[string]bool{}, anyTLD: map[string]bool{}}
	for _, line := range dataLines(data) {
		if name, ok := strings.CutSuffix(line, ".*"); ok {
			l.anyTLD[name] = true
		} else {
			l.domains[line] = true
		}
	}
	return l
}

// isFreemail tells whether d is a free-mail provider's domain.
func isFreemail(d string) bool {
	for x := d; x != ""; {
		if freemail.domains[x] {
			return true
		}
		_, rest, ok := strings.Cut(x, ".")
		if !ok {
			break
		}
		x = rest
	}
	if reg, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
		label, _, _ := strings.Cut(reg, ".")
		return freemail.anyTLD[label]
	}
	return false
}

// mailers is the parsed data/mailers.txt.
var mailers = parseMailers(mailersData)

type mailerList struct {
	substrings []string // lower case
	headers    []string
}

func parseMailers(data string) mailerList {
	var l mailerList
	for _, line := range dataLines(data) {
		if h, ok := strings.CutPrefix(line, "header:"); ok {
			l.headers = append(l.headers, strings.TrimSpace(h))
		} else {
			l.substrings = append(l.substrings, strings.ToLower(line))
		}
	}
	return l
}

func chinaMailer(m *decode.Message) bool {
	for _, key := range []string{"X-Mailer", "User-Agent"} {
		for _, v := range m.Header.Values(key) {
			v = strings.ToLower(v)
			for _, s := range mailers.substrings {
				if strings.Contains(v, s) {
					return true
				}
			}
		}
	}
	for _, h := range mailers.headers {
		if m.Header.Has(h) {
			return true
		}
	}
	return false
}

// datePlus0800 tells whether the Date was written at UTC+8 (China, Hong
// Kong, Taiwan, Singapore, Malaysia, the Philippines, Western Australia).
func datePlus0800(m *decode.Message) bool {
	if m.HasDate {
		_, off := m.Date.Zone()
		return off == 8*3600
	}
	// Unparsed Date: look at the raw zone.
	raw := strings.TrimSpace(m.Header.Get("Date"))
	if i := strings.IndexByte(raw, '('); i >= 0 {
		raw = strings.TrimSpace(raw[:i])
	}
	return strings.HasSuffix(raw, "+0800") || strings.HasSuffix(raw, "+08:00")
}

// gbCharsets are the labels of the Simplified Chinese encodings.
var gbCharsets = []string{"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "windows-936", "euc-cn", "hz-gb-2312", "csgb2312", "chinese", "iso-ir-58", "x-euc-cn"}

// gbCharset tells whether a text part or an encoded word of the header
// declares a GB encoding.
func gbCharset(m *decode.Message) bool {
	for _, cs := range m.Charsets {
		for _, gb := range gbCharsets {
			if strings.EqualFold(strings.Trim(cs, `"' `), gb) {
				return true
			}
		}
	}
	for _, key := range []string{"Subject", "From", "Reply-To", "To"} {
		for _, v := range m.Header.Values(key) {
			lv := strings.ToLower(v)
			for _, gb := range gbCharsets {
				if strings.Contains(lv, "=?"+gb+"?") || strings.Contains(lv, "=?"+gb+"*") {
					return true
				}
			}
		}
	}
	return false
}

// dataLines returns the lines of an embedded list, without comments and
// blank lines, lower case.
func dataLines(data string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.ToLower(line))
	}
	return out
}
