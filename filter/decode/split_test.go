package decode

import (
	"strings"
	"testing"
)

func TestSplitText(t *testing.T) {
	cases := []struct {
		name, in          string
		text, sig, quoted string
	}{
		{name: "top-post en",
			in:     "Please quote 500 pcs.\n\nOn Mon, Jan 5, 2026 at 10:00 AM Lily Chen <lily.chen@everride-scooter.com> wrote:\n> Dear John,\n> thanks for your inquiry.",
			text:   "Please quote 500 pcs.",
			quoted: "On Mon, Jan 5, 2026 at 10:00 AM Lily Chen <lily.chen@everride-scooter.com> wrote:\n> Dear John,\n> thanks for your inquiry."},
		{name: "gmail wrapped attribution",
			in:     "OK for us.\n\nOn Mon, Jan 5, 2026 at 10:00 AM Lily Chen <\nlily.chen@everride-scooter.com> wrote:\n\n> old",
			text:   "OK for us.",
			quoted: "On Mon, Jan 5, 2026 at 10:00 AM Lily Chen <\nlily.chen@everride-scooter.com> wrote:\n> old"},
		{name: "bottom-post keeps the answer",
			in:     "On 5 Jan 2026, Lily wrote:\n> What quantity?\n\n2,000 pcs ER-K200.",
			text:   "2,000 pcs ER-K200.",
			quoted: "On 5 Jan 2026, Lily wrote:\n> What quantity?"},
		{name: "outlook original message",
			in:     "Price is fine.\n\n-----Original Message-----\nFrom: Lily\nSent: Monday\nSubject: Quote\n\nold text",
			text:   "Price is fine.",
			quoted: "-----Original Message-----\nFrom: Lily\nSent: Monday\nSubject: Quote\n\nold text"},
		{name: "outlook header block",
			in:     "See below.\n\n________________________________\nFrom: Lily Chen <lily.chen@everride-scooter.com>\nSent: Tuesday, 6 January 2026 09:00\nTo: John\nSubject: RE: Quote\n\nold",
			text:   "See below.",
			quoted: "________________________________\nFrom: Lily Chen <lily.chen@everride-scooter.com>\nSent: Tuesday, 6 January 2026 09:00\nTo: John\nSubject: RE: Quote\n\nold"},
		{name: "chinese foxmail",
			in:     "好的，请报价。\n\n发件人：Lily Chen\n发送时间：2026年1月6日 9:00\n收件人：王先生\n主题：报价",
			text:   "好的，请报价。",
			quoted: "发件人：Lily Chen\n发送时间：2026年1月6日 9:00\n收件人：王先生\n主题：报价"},
		{name: "thunderbird separator",
			in:   "Yes.\n\n-------- Original Message --------\nSubject: x",
			text: "Yes.", quoted: "-------- Original Message --------\nSubject: x"},
		{name: "qq mail separator",
			in:   "收到\n------------------ 原始邮件 ------------------\n发件人: x",
			text: "收到", quoted: "------------------ 原始邮件 ------------------\n发件人: x"},
		{name: "french", in: "Merci.\n\nLe lun. 5 janv. 2026 à 10:00, Lily Chen <lily@x.com> a écrit :\n> bonjour",
			text: "Merci.", quoted: "Le lun. 5 janv. 2026 à 10:00, Lily Chen <lily@x.com> a écrit :\n> bonjour"},
		{name: "spanish", in: "Gracias por la información.\n\nEl lun, 5 ene 2026 a las 10:00, Lily Chen escribió:\n> hola",
			text: "Gracias por la información.", quoted: "El lun, 5 ene 2026 a las 10:00, Lily Chen escribió:\n> hola"},
		{name: "german", in: "Danke.\n\nAm 05.01.2026 um 10:00 schrieb Lily Chen:\n> hallo",
			text: "Danke.", quoted: "Am 05.01.2026 um 10:00 schrieb Lily Chen:\n> hallo"},
		{name: "portuguese", in: "Obrigado pela resposta.\n\nEm seg., 5 de jan. de 2026 às 10:00, Lily Chen escreveu:\n> olá",
			text: "Obrigado pela resposta.", quoted: "Em seg., 5 de jan. de 2026 às 10:00, Lily Chen escreveu:\n> olá"},
		{name: "russian", in: "Спасибо за ответ.\n\n05.01.2026 10:00, Lily Chen пишет:\n> привет",
			text: "Спасибо за ответ.", quoted: "05.01.2026 10:00, Lily Chen пишет:\n> привет"},
		{name: "russian mail.ru", in: "Ок.\n\nПонедельник, 5 января 2026, 10:00 +08:00 от Lily Chen написал(а):\n> привет",
			text: "Ок.", quoted: "Понедельник, 5 января 2026, 10:00 +08:00 от Lily Chen написал(а):\n> привет"},
		{name: "sig dash", in: "Need 300 pcs.\n-- \nJohn Smith\nACME Ltd.",
			text: "Need 300 pcs.", sig: "-- \nJohn Smith\nACME Ltd."},
		{name: "closing with contact block",
			in:   "Dear Sir,\n\nPlease quote ER-K200, 2,000 pcs FOB Ningbo.\n\nBest regards,\nJohn Smith\nPurchasing Manager\nACME Trading Ltd.\n12 Harbour Rd, Sydney NSW 2000\nTel: +61 2 5555 0101\nwww.acme-trading.com.au",
			text: "Dear Sir,\n\nPlease quote ER-K200, 2,000 pcs FOB Ningbo.",
			sig:  "Best regards,\nJohn Smith\nPurchasing Manager\nACME Trading Ltd.\n12 Harbour Rd, Sydney NSW 2000\nTel: +61 2 5555 0101\nwww.acme-trading.com.au"},
		{name: "closing with name on the line", in: "Send the catalog please.\n\nBest regards, Anna Kowalska\nTel. +48 22 555 01 02",
			text: "Send the catalog please.", sig: "Best regards, Anna Kowalska\nTel. +48 22 555 01 02"},
		{name: "thanks mid-text stays", in: "Thanks\nWe need 500 pcs ER-K200 for our stores in Lyon, Marseille, Paris and Nice, delivered by the end of March at the latest, please.\nBest regards\nPierre",
			text: "Thanks\nWe need 500 pcs ER-K200 for our stores in Lyon, Marseille, Paris and Nice, delivered by the end of March at the latest, please.", sig: "Best regards\nPierre"},
		{name: "closings in many languages", in: "Texto.\n\nС уважением,\nИван", text: "Texto.", sig: "С уважением,\nИван"},
		{name: "mfg", in: "Text.\n\nMit freundlichen Grüßen\nHans Meier\nMeier GmbH", text: "Text.", sig: "Mit freundlichen Grüßen\nHans Meier\nMeier GmbH"},
		{name: "zh", in: "请报价。\n\n此致\n敬礼\n王伟\n电话：+86 21 5555 0101", text: "请报价。", sig: "此致\n敬礼\n王伟\n电话：+86 21 5555 0101"},
		{name: "ar", in: "نرجو عرض السعر.\n\nمع تحياتي،\nأحمد", text: "نرجو عرض السعر.", sig: "مع تحياتي،\nأحمد"},
		{name: "tr", in: "Fiyat rica ederiz.\n\nSaygılarımla,\nMehmet", text: "Fiyat rica ederiz.", sig: "Saygılarımla,\nMehmet"},
		{name: "pl", in: "Proszę o ofertę.\n\nPozdrawiam\nAnna", text: "Proszę o ofertę.", sig: "Pozdrawiam\nAnna"},
		{name: "pt", in: "Aguardo retorno.\n\nAtenciosamente,\nJoão", text: "Aguardo retorno.", sig: "Atenciosamente,\nJoão"},
		{name: "contact block without closing", in: "Please send prices.\n\nJohn Smith\nACME Inc.\nPhone: +1 555 0100\nwww.acme.com",
			text: "Please send prices.", sig: "John Smith\nACME Inc.\nPhone: +1 555 0100\nwww.acme.com"},
		{name: "sent from phone", in: "OK, go ahead.\n\nSent from my iPhone", text: "OK, go ahead.", sig: "Sent from my iPhone"},
		{name: "unsure stays text", in: "Hello,\nwe are a distributor.\nRegards to your team and\nplease send the price list of all models with the discount for 1,000 pcs, the payment terms, and the lead time for a 40' HQ container to Hamburg.",
			text: "Hello,\nwe are a distributor.\nRegards to your team and\nplease send the price list of all models with the discount for 1,000 pcs, the payment terms, and the lead time for a 40' HQ container to Hamburg."},
		{name: "greater-than digits stay", in: ">500 pcs needed\nthanks", text: ">500 pcs needed\nthanks"},
	}
	for _, c := range cases {
		text, sig, quoted := splitText(c.in)
		if text != c.text || sig != c.sig || quoted != c.quoted {
			t.Errorf("%s:\ntext   %q\nwant   %q\nsig    %q\nwant   %q\nquoted %q\nwant   %q", c.name, text, c.text, sig, c.sig, quoted, c.quoted)
		}
	}
}

func TestSplitKeepsAllText(t *testing.T) {
	in := "a\n\nOn Mon, Jan 5, 2026 John <j@x.com> wrote:\n> b\nc\n-- \nd"
	text, sig, quoted := splitText(in)
	for _, w := range []string{"a", "b", "c", "d"} {
		if !strings.Contains(text+sig+quoted, w) {
			t.Errorf("lost %q", w)
		}
	}
}

func TestSplitBottomPost(t *testing.T) {
	text, _, quoted := splitText("On Thu, 22 Aug 2002, Joe wrote:\n--]old words\n\nMy answer here.")
	if text != "--]old words\n\nMy answer here." || quoted != "On Thu, 22 Aug 2002, Joe wrote:" {
		t.Errorf("text %q quoted %q", text, quoted)
	}
	text, _, quoted = splitText("Al wrote at 10:00:\n\n>erm... it runs\n\nIt runs Solaris 8.")
	if text != "It runs Solaris 8." || quoted != "Al wrote at 10:00:\n>erm... it runs" {
		t.Errorf("text %q quoted %q", text, quoted)
	}
}

func TestSplitOutlookHeaderOnTop(t *testing.T) {
	text, _, quoted := splitText("----- Original Message -----\nFrom: \"Adam\" <a@b.c>\nSent: Monday\n\n> Memory management is a non-issue.\n\nIn theory there is no difference.")
	if text != "In theory there is no difference." || !strings.HasPrefix(quoted, "----- Original Message -----") {
		t.Errorf("text %q quoted %q", text, quoted)
	}
	// A forward without comment stays quoted as a whole.
	text, _, quoted = splitText("---------- Forwarded message ---------\nFrom: Buyer <b@x.com>\nSubject: RFQ\n\nPlease quote 500 pcs.")
	if text != "" || !strings.HasSuffix(quoted, "Please quote 500 pcs.") {
		t.Errorf("text %q quoted %q", text, quoted)
	}
	// Blank lines left at the top do not turn the text into a signature.
	text, sig, _ := splitText("Justin writes:\n>So IMO it is.\n\nWithout addressing that.\nhttp://x")
	if text != "Without addressing that.\nhttp://x" || sig != "" {
		t.Errorf("text %q sig %q", text, sig)
	}
}

func TestSplitHTMLReplies(t *testing.T) {
	gmail := "From: b@x.com\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		`<div dir="ltr">We accept USD 42, please send the PI.<br><br>Best regards,<br>Derek<br>Pacific Trail Outfitters, Inc.</div>` +
		`<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Jun 16, 2025 at 9:00 AM Kevin Wang &lt;kevin.wang@everride-scooter.com&gt; wrote:<br></div>` +
		`<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">Dear Derek,<br>our best price is USD 44.</blockquote></div>`
	m := mustParse(t, gmail)
	if m.Text != "We accept USD 42, please send the PI." || m.Signature != "Best regards,\nDerek\nPacific Trail Outfitters, Inc." ||
		!strings.Contains(m.Quoted, "> our best price is USD 44.") {
		t.Errorf("gmail:\ntext %q\nsig %q\nquoted %q", m.Text, m.Signature, m.Quoted)
	}
	outlook := "From: b@x.com\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		`<html><body><p>Please confirm the lead time.</p><p>Kind regards,<br>Anna Schmidt<br>Tel. +49 40 555 0101</p>` +
		`<div id="appendonsend"></div><hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg"><font face="Calibri"><b>From:</b> Lily Chen &lt;lily.chen@everride-scooter.com&gt;<br><b>Sent:</b> Tuesday, 6 January 2026 09:00<br><b>To:</b> Anna<br><b>Subject:</b> Quotation</font></div>` +
		`<div><p>Dear Anna, please find our quotation.</p></div></body></html>`
	m = mustParse(t, outlook)
	if m.Text != "Please confirm the lead time." || m.Signature != "Kind regards,\nAnna Schmidt\nTel. +49 40 555 0101" ||
		!strings.HasPrefix(m.Quoted, "From: Lily Chen") || !strings.Contains(m.Quoted, "please find our quotation") {
		t.Errorf("outlook:\ntext %q\nsig %q\nquoted %q", m.Text, m.Signature, m.Quoted)
	}
}

func TestSplitDisclaimer(t *testing.T) {
	in := "Please send your best price for 300 pcs ER-K3 Mini.\nWe need delivery in May.\n\nCONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and intended only for the addressee."
	text, sig, _ := splitText(in)
	if text != "Please send your best price for 300 pcs ER-K3 Mini.\nWe need delivery in May." || !strings.HasPrefix(sig, "CONFIDENTIALITY NOTICE") {
		t.Errorf("text %q sig %q", text, sig)
	}
}
