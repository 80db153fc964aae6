package decode

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tradesift/tradesift/filter/internal/lcase"
)

// Splitting the body into the sender's new text, the signature and the
// quoted earlier messages. The classifier reads the new text for what the
// buyer asks and the signature for who the buyer is (company, address,
// phone, website), so the split errs on the side of keeping lines in the
// new text: a line moves only on a clear cue.

// splitText splits a decoded body into new text, signature and quoted text.
func splitText(s string) (text, sig, quoted string) {
	if s == "" {
		return "", "", ""
	}
	lines := strings.Split(s, "\n")
	var newLines, quotedLines []string
	cut := len(lines)
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if isQuoteLine(l) {
			quotedLines = append(quotedLines, l)
			continue
		}
		if isSeparatorLine(l) || isHeaderBlockStart(lines, i) {
			if !hasText(newLines) {
				// The quoted header is at the top: if '>' lines follow
				// it, the answer is written between or below them.
				end := headerBlockEnd(lines, i)
				if next := nextNonBlank(lines, end); next >= 0 && isQuoteLine(lines[next]) {
					quotedLines = append(quotedLines, lines[i:end]...)
					i = end - 1
					continue
				}
			}
			cut = i
			break
		}
		if n := attributionSpan(lines, i); n > 0 {
			next := nextNonBlank(lines, i+n)
			if (next >= 0 && isQuoteLine(lines[next])) || !hasText(newLines) {
				// Bottom-posting or inline replies: only the attribution
				// and the quoted lines move; answers stay new text.
				quotedLines = append(quotedLines, lines[i:i+n]...)
				i += n - 1
				continue
			}
			cut = i
			break
		}
		newLines = append(newLines, l)
	}
	// A rule or blank lines right above the cut belong to the quote
	// (Outlook draws a line of underscores above "From:").
	for len(newLines) > 0 && cut < len(lines) {
		l := strings.TrimSpace(newLines[len(newLines)-1])
		if l != "" && !(len(l) >= 10 && strings.Trim(l, "_-=*") == "") {
			break
		}
		newLines = newLines[:len(newLines)-1]
		cut--
	}
	quotedLines = append(quotedLines, lines[cut:]...)

	body, signature := splitSignature(newLines)
	text = strings.TrimSpace(strings.Join(body, "\n"))
	sig = strings.TrimSpace(strings.Join(signature, "\n"))
	quoted = strings.TrimSpace(strings.Join(quotedLines, "\n"))
	return text, sig, quoted
}

// headerBlockEnd returns the index after the separator at i and the
// "Key: value" lines that follow it up to the first empty line.
func headerBlockEnd(lines []string, i int) int {
	j := i + 1
	for j < len(lines) && j < i+12 {
		l := strings.TrimSpace(lines[j])
		if l == "" || (headerKey(l) == "" && !strings.HasPrefix(lines[j], " ")) {
			break
		}
		j++
	}
	return j
}

func hasText(lines []string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			return true
		}
	}
	return false
}

func nextNonBlank(lines []string, i int) int {
	for ; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "" {
			return i
		}
	}
	return -1
}

// isQuoteLine reports whether l is quoted with '>' (but not ">500 pcs").
func isQuoteLine(l string) bool {
	l = strings.TrimLeft(l, " ")
	if !strings.HasPrefix(l, ">") {
		return false
	}
	if len(l) == 1 {
		return true
	}
	c := l[1]
	return !isDigit(c) && c != '='
}

// separatorPhrases start the quoted or forwarded part of a mail, once the
// dashes, underscores and blanks around them are removed (lower case).
var separatorPhrases = []string{
	"original message", "original mail", "forwarded message", "forwarded by",
	"begin forwarded message", "reply message", "weitergeleitete nachricht",
	"ursprüngliche nachricht", "ursprungliche nachricht", "originalnachricht",
	"message d'origine", "message d’origine", "message transféré", "message original",
	"mensaje original", "mensaje reenviado", "mensagem original", "mensagem encaminhada",
	"messaggio originale", "messaggio inoltrato", "исходное сообщение",
	"пересланное сообщение", "原始邮件", "原始郵件", "转发邮件", "轉寄郵件", "转发的邮件",
	"回复的原邮件", "転送メッセージ", "元のメッセージ", "orijinal mesaj", "iletilen mesaj",
	"özgün ileti", "oryginalna wiadomość", "przekazana wiadomość", "wiadomość oryginalna",
	"oorspronkelijk bericht", "doorgestuurd bericht", "원본 메시지", "전달된 메시지",
	"الرسالة الأصلية", "رسالة معاد توجيهها",
}

// isSeparatorLine recognises "-----Original Message-----" and its kin in
// other languages and clients.
func isSeparatorLine(l string) bool {
	t := strings.TrimSpace(l)
	if len(t) < 8 || len(t) > 120 {
		return false
	}
	core := strings.Trim(t, "-_=* \t:")
	if !startsLike(core, separatorFirst) {
		return false
	}
	deco := strings.Count(t, "-") + strings.Count(t, "_") + strings.Count(t, "=")
	core = lcase.String(core)
	if core == "" {
		return false
	}
	for _, p := range separatorPhrases {
		if strings.HasPrefix(core, p) {
			// Without decoration only the phrases that stand alone count.
			if deco >= 2 || strings.HasPrefix(core, "begin forwarded message") ||
				strings.HasPrefix(core, "forwarded message") {
				return true
			}
		}
	}
	return false
}

var fromKeys = []string{
	"from", "de", "von", "da", "van", "от", "od", "kimden", "gönderen", "från", "fra",
	"lähettäjä", "发件人", "寄件者", "寄件人", "差出人", "送信者", "보낸 사람", "보낸사람", "من",
	"feladó", "afzender", "remetente", "mittente",
}

var headerKeys = []string{
	"sent", "date", "envoyé", "gesendet", "enviado", "fecha", "data", "datum",
	"отправлено", "дата", "wysłano", "tarih", "gönderildi", "gönderilme", "inviato", "verzonden",
	"发送时间", "發送時間", "日期", "时间", "時間", "寄件日期", "送信日時", "날짜", "보낸 날짜",
	"التاريخ", "أرسل", "to", "à", "a", "an", "para", "кому", "do", "kime", "aan", "till", "til",
	"收件人", "宛先", "받는 사람", "إلى", "cc", "subject", "objet", "betreff", "asunto", "assunto",
	"oggetto", "тема", "temat", "konu", "onderwerp", "ämne", "emne", "主题", "主旨", "主題",
	"件名", "제목", "الموضوع",
}

// headerKey returns the lower-cased key of a "Key: value" line (ASCII or
// full-width colon, optional "*" bold markers from HTML), or "".
func headerKey(l string) string {
	t := strings.TrimSpace(l)
	t = strings.TrimLeft(t, "*")
	if len(t) > 40 {
		t = t[:40]
	}
	i := strings.IndexByte(t, ':')
	if j := strings.Index(t, "："); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	if i <= 0 || i > 30 {
		return ""
	}
	k := lcase.String(strings.TrimSpace(strings.TrimRight(t[:i], "* ")))
	return k
}

func keyIn(k string, set []string) bool {
	for _, s := range set {
		if k == s {
			return true
		}
	}
	return false
}

// isHeaderBlockStart recognises a quoted message's header as Outlook and
// web mailers write it: "From: ..." followed within a few lines by "Sent:",
// "To:" or "Subject:" (in many languages).
func isHeaderBlockStart(lines []string, i int) bool {
	if !keyIn(headerKey(lines[i]), fromKeys) {
		return false
	}
	for j := i + 1; j < len(lines) && j <= i+6; j++ {
		if keyIn(headerKey(lines[j]), headerKeys) {
			return true
		}
	}
	return false
}

// wroteEndings end an attribution line ("On Mon, ... John wrote:"), lower
// case, after the final colon is removed.
var wroteEndings = []string{
	"wrote", "writes", "schrieb", "a écrit", "a ecrit", "escribió", "escribio", "escreveu",
	"ha scritto", "написал", "написала", "написал(а)", "пишет", "yazdı", "napisał",
	"napisała", "napisał(a)", "schreef", "skrev", "kirjoitti", "写道", "寫道", "作成",
	"작성", "كتب", "a scris", "írta",
}

// attributionSpan returns how many lines (1 to 3) starting at i form an
// attribution line, or 0.
func attributionSpan(lines []string, i int) int {
	first := strings.TrimSpace(lines[i])
	if first == "" {
		return 0
	}
	// Quick reject: one of the (up to) three lines must end in a colon.
	colon := false
	for k := i; k < len(lines) && k < i+3; k++ {
		l := strings.TrimRight(lines[k], " \t")
		if strings.HasSuffix(l, ":") || strings.HasSuffix(l, "：") {
			colon = true
			break
		}
	}
	if !colon {
		return 0
	}
	joined := ""
	for n := 1; n <= 3 && i+n <= len(lines); n++ {
		l := strings.TrimSpace(lines[i+n-1])
		if l == "" {
			return 0
		}
		if joined == "" {
			joined = l
		} else {
			joined += " " + l
		}
		if len(joined) > 400 {
			return 0
		}
		if n > 1 && !strings.ContainsAny(first, "0123456789@") {
			return 0
		}
		if isAttribution(joined) {
			return n
		}
	}
	return 0
}

func isAttribution(s string) bool {
	if !strings.HasSuffix(s, ":") && !strings.HasSuffix(s, "：") {
		return false
	}
	if len(s) < 10 {
		return false
	}
	core := strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, ":"), "："))
	low := lcase.String(core)
	for _, e := range wroteEndings {
		if strings.HasSuffix(low, e) {
			return true
		}
	}
	// "Am 12.03.2025 um 10:15 schrieb Hans Müller:" — the verb inside,
	// with a date or an address to make it an attribution.
	if strings.ContainsAny(core, "0123456789@") {
		for _, e := range wroteEndings {
			if len(e) >= 4 && strings.Contains(low, " "+e+" ") {
				return true
			}
		}
	}
	// "peter@example.ie said:"
	if strings.HasSuffix(low, " said") && strings.Contains(core, "@") {
		return true
	}
	// "2024年1月1日(月) 10:00 山田 <taro@example.com>:" and the like.
	if strings.HasSuffix(core, ">") && strings.Contains(core, "@") && strings.ContainsAny(core, "0123456789") {
		return true
	}
	// Arabic Gmail: "في ..., كتب ... <...>:"
	if strings.HasPrefix(core, "في ") && strings.Contains(core, "كتب") {
		return true
	}
	return false
}

// strongClosings end the body of a mail; the lines after them are the
// signature. Matched on the lower-cased line without trailing punctuation,
// as the whole line or followed by a name.
var strongClosings = []string{
	"best regards", "kind regards", "warm regards", "warmest regards", "best wishes",
	"regards", "with regards", "with best regards", "with kind regards", "many regards",
	"thanks and regards", "thanks & regards", "thanks and best regards", "thanks & best regards",
	"sincerely", "yours sincerely", "sincerely yours", "yours faithfully", "faithfully",
	"yours truly", "respectfully", "saludos", "saludos cordiales", "un saludo", "atentamente",
	"cordialmente", "cordialement", "bien cordialement", "salutations", "sincères salutations",
	"meilleures salutations", "bien à vous", "mit freundlichen grüßen", "mit freundlichen grüssen",
	"freundliche grüße", "freundliche grüsse", "viele grüße", "beste grüße", "herzliche grüße", "mfg",
	"с уважением", "с наилучшими пожеланиями", "всего доброго", "atenciosamente", "cumprimentos",
	"abraços", "saygılarımla", "saygılar", "iyi çalışmalar", "pozdrawiam", "z poważaniem",
	"z wyrazami szacunku", "distinti saluti", "cordiali saluti", "saluti", "met vriendelijke groet",
	"met vriendelijke groeten", "此致", "此致敬礼", "此致 敬礼", "顺祝商祺", "順祝商祺", "祝商祺",
	"祝好", "顺颂商祺", "順頌商祺", "敬上", "敬礼", "よろしくお願いいたします", "よろしくお願いします",
	"宜しくお願いいたします", "敬具", "감사합니다", "مع تحياتي", "مع أطيب التحيات", "تحياتي",
	"وتفضلوا بقبول فائق الاحترام", "مع خالص الشكر", "مع خالص التحية", "مع التحية", "best", "all the best", "br",
	"saygılarımızla", "abraço", "um abraço", "atte", "salu2", "mit besten grüßen", "gruß", "grüße",
	"何卒よろしくお願い申し上げます", "よろしくお願い申し上げます", "以上、よろしくお願いいたします",
}

// weakClosings often close a mail but also start sentences; they count
// only when no strong closing is found and little follows.
var weakClosings = []string{
	"thanks", "thank you", "many thanks", "thanks a lot", "thank you very much", "cheers",
	"gracias", "merci", "danke", "obrigado", "obrigada", "спасибо", "teşekkürler", "dziękuję",
	"grazie", "谢谢", "謝謝", "感谢", "ありがとうございます", "شكرا", "شكراً", "xoxo",
	"thanks in advance", "thank you in advance", "thanks so much", "thank you so much",
	"merci d'avance", "merci beaucoup", "gracias de antemano", "muchas gracias", "quedo atento",
	"quedo atenta", "quedo a la espera", "gracias, quedo atento", "gracias, quedo atenta",
	"danke im voraus", "vielen dank", "obrigado desde já", "desde já agradeço", "grazie mille",
	"заранее спасибо", "şimdiden teşekkürler", "z góry dziękuję",
}

// closingSet is a list of closing phrases for closingMatch, each marked
// when it holds a space.
type closingSet struct {
	phrases []string
	spaced  []bool
}

func newClosingSet(phrases []string) *closingSet {
	s := &closingSet{phrases: phrases}
	for _, p := range phrases {
		s.spaced = append(s.spaced, strings.Contains(p, " "))
	}
	return s
}

var (
	strongSet = newClosingSet(strongClosings)
	weakSet   = newClosingSet(weakClosings)
)

// closingKey is the form of a line that closingMatch compares: lower
// case, without surrounding blanks and trailing punctuation; "" for lines
// too long to be a closing.
func closingKey(l string) string {
	if len(l) > 240 {
		return ""
	}
	t := strings.TrimSpace(l)
	if t == "" {
		return ""
	}
	// Trimmed and counted before lower-casing, which maps rune by rune
	// and maps no rune to or from the trimmed punctuation: long lines
	// are not lower-cased for nothing.
	t = strings.TrimRightFunc(t, func(r rune) bool {
		return r == ',' || r == '!' || r == '.' || r == '，' || r == '！' || r == '。' || r == '、' || r == ' ' || r == '-' || r == '~' || r == '،'
	})
	if utf8.RuneCountInString(t) > 60 {
		return ""
	}
	return lcase.String(t)
}

// closingMatch reports whether the closing key t is one of the phrases of
// set, alone, followed by a short name, or ending a longer closing.
func closingMatch(t, orig string, set *closingSet) bool {
	if t == "" {
		return false
	}
	for k, c := range set.phrases {
		if c[0] != t[0] && !set.spaced[k] {
			continue // neither t itself nor its start; no space for the end rule
		}
		if t == c {
			return true
		}
		// "Many thanks in advance and kind regards": a long closing
		// that ends with a two-word phrase.
		if len(t) > len(c) && strings.HasSuffix(t, c) && t[len(t)-len(c)-1] == ' ' && strings.Contains(c, " ") {
			return true
		}
		// "Best regards, John Smith" — the phrase, a separator, a short name.
		if strings.HasPrefix(t, c) && len(t) > len(c) {
			r, _ := utf8.DecodeRuneInString(t[len(c):])
			if r == ',' || r == ' ' || r == '，' {
				rest := strings.TrimSpace(strings.TrimLeft(t[len(c):], ", ，"))
				words := strings.Fields(rest)
				if rest != "" && looksLikeName(orig, len(words)) && !strings.ContainsAny(rest, ".?!:") {
					return true
				}
				// "Thanks and God bless", "Abraço e obrigado": two closings.
				if len(words) > 1 && len(words) <= 4 && keyIn(words[0], conjunctions) {
					return true
				}
				// "Thanks again, all," — a short line ending in a comma.
				if strings.HasSuffix(orig, ",") && len(strings.Fields(t)) <= 5 && !strings.ContainsAny(rest, ".?!:") {
					return true
				}
			}
		}
	}
	return false
}

var conjunctions = []string{"and", "&", "e", "y", "et", "und", "и", "ve", "i", "en", "og", "a"}

// looksLikeName reports whether the last n words of orig look like a
// person's name: at most four words, each starting with an upper-case
// letter or a letter of a script without case.
func looksLikeName(orig string, n int) bool {
	f := strings.Fields(orig)
	if n > 4 || n > len(f) {
		return false
	}
	for _, w := range f[len(f)-n:] {
		r, _ := utf8.DecodeRuneInString(strings.TrimLeft(w, ",，"))
		if !unicode.IsUpper(r) && (unicode.IsLower(r) || !unicode.IsLetter(r)) {
			return false
		}
	}
	return true
}

var sentFrom = []string{
	"sent from my", "sent from mail for", "sent from outlook", "sent from yahoo mail",
	"get outlook for", "发自我的", "从我的", "enviado desde mi", "enviado do meu",
	"envoyé de mon", "von meinem", "отправлено с", "iphone'umdan gönderildi", "wysłane z mojego",
	"inviato da",
}

// splitSignature splits the signature block off the end of the new text:
// from a "-- " line, a closing phrase followed by a few short lines, a
// "Sent from my phone" line, or a trailing paragraph of contact details.
func splitSignature(lines []string) (body, sig []string) {
	// Drop leading and trailing empty lines.
	end := len(lines)
	for end > 0 && strings.TrimSpace(lines[end-1]) == "" {
		end--
	}
	begin := 0
	for begin < end && strings.TrimSpace(lines[begin]) == "" {
		begin++
	}
	lines = lines[begin:end]
	start := -1
	for i, l := range lines {
		t := strings.TrimRight(l, " ")
		if (t == "--" || t == "—" || t == "---") && sigLike(lines[i+1:], 30, 10) {
			start = i
			break
		}
	}
	// A closing phrase above (or without) the "--" line starts the block.
	limit := len(lines)
	if start >= 0 {
		limit = start + 1
	}
	// Closing keys are computed when first needed: the search runs from
	// the bottom and mostly stops at the closing, a few lines up.
	keys := make([]string, limit)
	done := make([]bool, limit)
	key := func(i int) string {
		if !done[i] {
			keys[i], done[i] = closingKey(lines[i]), true
		}
		return keys[i]
	}
	strong := func(i int) bool { return closingMatch(key(i), strings.TrimSpace(lines[i]), strongSet) }
	closing := -1
	for i := limit - 1; i >= 0; i-- {
		if strong(i) && sigLike(lines[i+1:], 18, 3) && shortFirst(lines[i+1:]) {
			closing = i
			// "此致\n敬礼", "Thanks and\nBest regards": take the run.
			for closing > 0 && strong(closing-1) {
				closing--
			}
			break
		}
	}
	if closing < 0 {
		for i := limit - 1; i > 0; i-- {
			if closingMatch(key(i), strings.TrimSpace(lines[i]), weakSet) && nextNonBlank(lines, i+1) >= 0 &&
				sigLike(lines[i+1:], 12, 2) && shortFirst(lines[i+1:]) {
				closing = i
				break
			}
		}
	}
	if closing >= 0 && (start < 0 || closing < start) {
		start = closing
	}
	if start < 0 {
		for i := len(lines) - 1; i >= 0 && i >= len(lines)-3; i-- {
			low := lcase.String(strings.TrimSpace(lines[i]))
			for _, p := range sentFrom {
				if strings.HasPrefix(low, p) {
					start = i
				}
			}
		}
	}
	if start < 0 {
		start = contactBlock(lines)
	}
	if start < 0 {
		start = disclaimer(lines)
	}
	if start <= 0 {
		// Nothing found, or the whole text would be signature: keep it all.
		return lines, nil
	}
	return lines[:start], lines[start:]
}

// shortFirst reports whether the first non-empty line (the name after a
// closing, usually) is short, or there is none.
func shortFirst(lines []string) bool {
	i := nextNonBlank(lines, 0)
	return i < 0 || utf8.RuneCountInString(strings.TrimSpace(lines[i])) <= 60
}

// sigLike reports whether lines look like a signature block: at most
// maxLines non-empty lines, of which at most maxLong exceed 100 runes.
func sigLike(lines []string, maxLines, maxLong int) bool {
	n, long, total := 0, 0, 0
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		n++
		rc := utf8.RuneCountInString(t)
		total += rc
		if rc > 100 {
			long++
		}
	}
	return n <= maxLines && long <= maxLong && total <= 2500
}

// contactBlock returns the start of a trailing paragraph made of short
// lines of which at least two carry contact details, or -1.
func contactBlock(lines []string) int {
	start := len(lines)
	for start > 0 && strings.TrimSpace(lines[start-1]) != "" {
		start--
	}
	n := len(lines) - start
	if start == 0 || n < 2 || n > 14 {
		return -1
	}
	strong, weak := 0, 0
	for _, l := range lines[start:] {
		if utf8.RuneCountInString(l) > 90 {
			return -1
		}
		switch contactLine(l) {
		case 2:
			strong++
		case 1:
			weak++
		}
	}
	if strong < 1 || strong+weak < 2 {
		return -1
	}
	return start
}

var contactCues = []string{
	"tel", "phone", "fax", "mob", "cell", "whatsapp", "wechat", "skype", "e-mail", "email",
	"www.", "http", "add:", "address:", "web", "电话", "手机", "传真", "地址", "邮箱", "網址", "网址",
	"тел", "факс", "адрес", "téléphone", "teléfono", "telefone", "telefon", "direccion",
	"dirección", "endereço", "adresse", "adres", "indirizzo", "hp:", "ph:", "m:", "t:", "f:", "e:",
}

// contactLine rates a line as signature material: 2 for a contact cue
// (phone, web, e-mail, company legal form), 1 for a line with many digits
// (a phone number or street address), else 0.
func contactLine(l string) int {
	low := lcase.String(strings.TrimSpace(l))
	for _, c := range contactCues {
		if strings.HasPrefix(low, c) || (len(c) > 3 && strings.Contains(low, c)) {
			return 2
		}
	}
	for _, c := range companyCues {
		if strings.Contains(low, c) {
			return 2
		}
	}
	digits := 0
	for _, r := range low {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	if digits >= 7 {
		return 1
	}
	return 0
}

// companyCues are legal-form words that mark a company name line.
var companyCues = []string{
	"gmbh", " ltd", "inc.", " llc", "s.a.", "s.l.", "co.,", " corp", "ltda", "s.r.l", "sp. z o.o",
	"ооо ", "有限公司", "株式会社", "şti", "a.ş.", "b.v.", " pty", "〒",
}

// disclaimerCues start a legal footer ("This e-mail and any attachments
// are confidential ...").
var disclaimerCues = []string{
	"confidentiality notice", "disclaimer", "this e-mail and any", "this email and any",
	"this message and any", "the information contained in this", "this email is confidential",
	"this e-mail is confidential", "this message is confidential", "if you are not the intended recipient",
	"this communication is confidential", "本邮件", "此邮件", "本郵件", "diese e-mail", "ce message et",
	"este mensaje", "esta mensagem", "questo messaggio", "данное сообщение", "bu e-posta",
}

// disclaimer returns the start of a legal footer in the second half of
// the text, or -1.
func disclaimer(lines []string) int {
	for i := len(lines) / 2; i < len(lines); i++ {
		t := strings.TrimLeft(lines[i], " *_-=>[(")
		if !startsLike(t, disclaimerFirst) {
			continue
		}
		low := lowerPrefix(t, disclaimerPrefix)
		for _, c := range disclaimerCues {
			if strings.HasPrefix(low, c) && sigLike(lines[i:], 25, 12) {
				return i
			}
		}
	}
	return -1
}

// disclaimerPrefix is how much of a line disclaimer lower-cases: enough
// for the longest cue, as lower-casing may shrink a rune to a third of
// its bytes (the Kelvin sign is 3 bytes, "k" one).
var disclaimerPrefix = func() int {
	n := 0
	for _, c := range disclaimerCues {
		n = max(n, len(c))
	}
	return 3*n + 4
}()

// lowerPrefix returns lower (strings.ToLower) of a prefix of s that is at least n
// bytes long (or all of s), cut at a rune start: a prefix of
// strings.ToLower(s) at least n/3 bytes long, since ToLower maps rune by
// rune. Long lines (an HTML text rendered on one line) cost no more than
// short ones.
func lowerPrefix(s string, n int) string {
	if len(s) > n {
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n++
		}
		s = s[:n]
	}
	return lcase.String(s)
}

// firstRunes is the set of the first runes of phrases (lower case).
func firstRunes(phrases []string) map[rune]bool {
	set := map[rune]bool{}
	for _, p := range phrases {
		r, _ := utf8.DecodeRuneInString(p)
		set[r] = true
	}
	return set
}

var (
	separatorFirst  = firstRunes(separatorPhrases)
	disclaimerFirst = firstRunes(disclaimerCues)
)

// startsLike reports whether lcase.String(s) may start with a phrase whose first
// rune is in first: lower-casing maps the first rune on its own, so a
// line that fails this starts with none of the phrases.
func startsLike(s string, first map[rune]bool) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return first[lcase.Rune(r)]
}
