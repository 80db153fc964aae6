package draft

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message/mail"
	"golang.org/x/net/idna"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/judge"
)

// Draft is one drafted reply, ready for the rep's Drafts folder.
type Draft struct {
	Rep       string   // rep id
	From      string   // rep address: header From and envelope sender
	To        []string // buyer addresses the reply is written to
	Subject   string   // as in the header, decoded
	MessageID string   // without angle brackets
	Template  string   // file the text came from
	Lang      string   // language of the text
	// Bytes is the whole RFC 5322 message, CRLF line endings.
	Bytes []byte
}

// Signals after which Reply-To is not trusted: the draft goes to From.
var replyToDistrust = []string{"reply-to-other-domain", "reply-to-freemail", "competitor-domain"}

// Limits on what the inquiry contributes to the draft.
const (
	maxSubject    = 200   // runes of the Subject
	maxName       = 100   // runes of a display name
	maxQuoted     = 20000 // bytes of quoted inquiry text
	maxReferences = 20    // message ids kept in References
	maxMsgID      = 250   // bytes of one message id
)

// ErrNoDraft is returned for verdicts that get no draft (BuyerType none or
// no reply plan).
var ErrNoDraft = errors.New("draft: verdict has no reply plan")

// Draft renders the reply to m for rep: the template for v.ReplyPlan (and
// v.BuyerType, if specialised) in the buyer's language, English otherwise.
func (r *Renderer) Draft(m *decode.Message, v judge.Verdict, rep config.Rep, now time.Time) (*Draft, error) {
	if v.BuyerType == judge.None || v.ReplyPlan == "" {
		return nil, ErrNoDraft
	}
	if m == nil {
		return nil, errors.New("draft: no inquiry")
	}
	if rep.Address == "" {
		return nil, fmt.Errorf("draft: rep %q has no address", rep.ID)
	}
	s := r.current()
	lang := strings.ToLower(strings.TrimSpace(v.Fields.Language))
	if i := strings.IndexAny(lang, "-_"); i > 0 {
		lang = lang[:i]
	}
	e := s.lookup(v.ReplyPlan, v.BuyerType, lang)
	if e == nil {
		return nil, fmt.Errorf("draft: no template for plan %q", v.ReplyPlan)
	}
	d := newData(m, v, r.sup, rep, now)
	d.Lang, d.tmpl = e.lang, e.t
	subject, body, err := e.render(d)
	if err != nil {
		return nil, err
	}
	subject = truncRunes(clean(subject), maxSubject)
	if subject == "" {
		subject = truncRunes(clean(d.ReSubject()), maxSubject)
	}

	to := recipients(m, v)
	if len(to) == 0 {
		return nil, errors.New("draft: inquiry has no usable sender address")
	}
	id := newMessageID(now, r.sup.Domain, rep.Address)

	text := body + "\n" + quote(m, e, d)
	cte := "quoted-printable"
	if mostlyNonASCII(text) {
		cte = "base64"
	}
	// go-message writes fields newest first: add them bottom up.
	var h mail.Header
	if code := contentLanguage(e.lang); code != "" {
		h.Set("Content-Language", code)
	}
	h.Set("Content-Transfer-Encoding", cte)
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	h.Set("MIME-Version", "1.0")
	if mid, ok := msgID(m.MessageID); ok {
		h.SetMsgIDList("References", references(m))
		h.SetMsgIDList("In-Reply-To", []string{mid})
	}
	h.SetMessageID(id)
	h.SetSubject(subject)
	h.SetAddressList("To", to)
	h.SetAddressList("From", []*mail.Address{{Name: truncRunes(clean(rep.Name), maxName), Address: rep.Address}})
	h.SetDate(now)

	var buf bytes.Buffer
	buf.Grow(len(text) + len(text)/8 + 1024)
	w, err := mail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, text); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	dr := &Draft{
		Rep:       rep.ID,
		From:      rep.Address,
		Subject:   subject,
		MessageID: id,
		Template:  e.file,
		Lang:      e.lang,
		Bytes:     buf.Bytes(),
	}
	for _, a := range to {
		dr.To = append(dr.To, a.Address)
	}
	return dr, nil
}

// recipients is Reply-To when it can be trusted, else From.
func recipients(m *decode.Message, v judge.Verdict) []*mail.Address {
	distrust := false
	for _, s := range v.Signals {
		for _, n := range replyToDistrust {
			if s.Name == n {
				distrust = true
			}
		}
	}
	var out []*mail.Address
	if len(m.ReplyTo) > 0 && !distrust {
		out = addresses(m.ReplyTo)
	}
	if len(out) == 0 {
		out = addresses([]decode.Address{m.From})
	}
	return out
}

// addresses keeps the usable ones of list, at most five.
func addresses(list []decode.Address) []*mail.Address {
	var out []*mail.Address
	for _, a := range list {
		addr, ok := asciiAddr(strings.TrimSpace(a.Addr))
		if !ok || !validAddr(addr) {
			continue
		}
		out = append(out, &mail.Address{Name: truncRunes(clean(a.Name), maxName), Address: addr})
		if len(out) == 5 {
			break
		}
	}
	return out
}

// asciiAddr returns addr with an internationalised domain in its ASCII
// (punycode) form; a non-ASCII local part cannot go into a plain header.
func asciiAddr(addr string) (string, bool) {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr, false
	}
	local, domain := addr[:at], addr[at+1:]
	for i := 0; i < len(local); i++ {
		if local[i] >= 0x80 {
			return "", false
		}
	}
	for i := 0; i < len(domain); i++ {
		if domain[i] >= 0x80 {
			if !utf8.ValidString(domain) {
				return "", false
			}
			d, err := idna.Lookup.ToASCII(domain)
			if err != nil {
				return "", false
			}
			return local + "@" + d, true
		}
	}
	return addr, true
}

// validAddr accepts a plain addr-spec without anything that could break a
// header: one @, no white space, control characters, brackets or commas.
func validAddr(a string) bool {
	if len(a) > 254 || strings.Count(a, "@") != 1 {
		return false
	}
	at := strings.IndexByte(a, '@')
	if at == 0 || at == len(a)-1 {
		return false
	}
	for _, r := range a {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("<>,;:\"()[]\\", r) {
			return false
		}
	}
	return true
}

// msgID accepts a message id that is safe inside angle brackets.
func msgID(id string) (string, bool) {
	id = strings.TrimSpace(strings.Trim(strings.TrimSpace(id), "<>"))
	if id == "" || len(id) > maxMsgID {
		return "", false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' {
			return "", false
		}
	}
	return id, true
}

// references is the inquiry's References (or In-Reply-To) plus its own id,
// the last maxReferences of them (RFC 5322 §3.6.4).
func references(m *decode.Message) []string {
	var ids []string
	src := m.References
	if len(src) == 0 {
		src = m.InReplyTo
	}
	for _, r := range src {
		if id, ok := msgID(r); ok {
			ids = append(ids, id)
		}
	}
	if id, ok := msgID(m.MessageID); ok {
		ids = append(ids, id)
	}
	if len(ids) > maxReferences {
		ids = append(ids[:1], ids[len(ids)-maxReferences+1:]...)
	}
	return ids
}

func newMessageID(now time.Time, domain, repAddr string) string {
	if domain == "" {
		if i := strings.LastIndexByte(repAddr, '@'); i >= 0 {
			domain = repAddr[i+1:]
		}
	}
	if domain == "" {
		domain = "localhost"
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("draft.%d.%s@%s", now.Unix(), hex.EncodeToString(b[:]), domain)
}

// quote is the attribution line and the inquiry's text as "> " lines.
func quote(m *decode.Message, e *entry, d *Data) string {
	text := m.Text
	if m.Signature != "" {
		text = strings.TrimRight(text, "\n") + "\n-- \n" + m.Signature
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ToValidUTF8(text, "\ufffd")
	if len(text) > maxQuoted {
		cut := maxQuoted
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "\n[…]"
	}
	text = strings.TrimRight(text, "\n")
	var b strings.Builder
	attr := ""
	if e.t.Lookup("attribution") != nil {
		var ab strings.Builder
		if err := e.t.ExecuteTemplate(&ab, "attribution", d); err == nil {
			attr = clean(ab.String())
		}
	}
	if attr == "" {
		who := d.Inquiry.FromAddr
		if d.Inquiry.FromName != "" {
			who = d.Inquiry.FromName + " <" + d.Inquiry.FromAddr + ">"
		}
		attr = who + " wrote:"
	}
	b.Grow(len(attr) + len(text) + len(text)/16 + 64)
	b.WriteString(attr)
	b.WriteByte('\n')
	for l := range strings.SplitSeq(text, "\n") {
		l = strings.TrimRight(l, " \t\r")
		if l == "" || strings.HasPrefix(l, ">") {
			b.WriteByte('>')
		} else {
			b.WriteString("> ")
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

func mostlyNonASCII(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			n++
		}
	}
	return n*3 > len(s)
}

func contentLanguage(lang string) string {
	if isLang(lang) {
		return lang
	}
	return ""
}
