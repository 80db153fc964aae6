package decode

import (
	"encoding/base64"
	"mime/quotedprintable"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// TestCharsets encodes a sample text in each charset the issue names,
// sends it through Parse as base64 and as quoted-printable, and checks the
// UTF-8 text and the charset list.
func TestCharsets(t *testing.T) {
	cases := []struct {
		label string
		enc   encoding.Encoding
		text  string
	}{
		{"ISO-8859-1", charmap.ISO8859_1, "Grüße aus Köln, 500 Stück"},
		{"iso-8859-2", charmap.ISO8859_2, "Proszę o ofertę, 500 sztuk"},
		{"ISO-8859-5", charmap.ISO8859_5, "Просим цену"},
		{"iso-8859-7", charmap.ISO8859_7, "Παρακαλώ τιμή"},
		{"iso-8859-9", charmap.ISO8859_9, "Fiyat teklifi rica ederiz, şimdiden teşekkürler"},
		{"iso-8859-15", charmap.ISO8859_15, "Prix 30 € la pièce"},
		{"windows-1250", charmap.Windows1250, "Dziękuję bardzo"},
		{"windows-1251", charmap.Windows1251, "Добрый день, нужен прайс"},
		{"windows-1252", charmap.Windows1252, "“Quotes” – café"},
		{"windows-1254", charmap.Windows1254, "Saygılarımızla"},
		{"windows-1256", charmap.Windows1256, "مع تحياتي"},
		{"KOI8-R", charmap.KOI8R, "Здравствуйте! Запрос цены"},
		{"gb2312", simplifiedchinese.GBK, "您好，请报价"},
		{"GBK", simplifiedchinese.GBK, "滑板车报价"},
		{"GB18030", simplifiedchinese.GB18030, "滑板车 ER-K200 报价 €"},
		{"big5", traditionalchinese.Big5, "詢問價格與型錄"},
		{"Shift_JIS", japanese.ShiftJIS, "お見積りのお願い"},
		{"ISO-2022-JP", japanese.ISO2022JP, "お見積りのお願い（400台）"},
		{"EUC-JP", japanese.EUCJP, "見積依頼"},
		{"EUC-KR", korean.EUCKR, "견적 문의 드립니다"},
		{"ks_c_5601-1987", korean.EUCKR, "견적 문의"},
	}
	for _, c := range cases {
		raw, err := c.enc.NewEncoder().String(c.text)
		if err != nil {
			t.Fatalf("%s: encode: %v", c.label, err)
		}
		var qp strings.Builder
		w := quotedprintable.NewWriter(&qp)
		w.Write([]byte(raw))
		w.Close()
		bodies := map[string]string{
			"base64":           base64.StdEncoding.EncodeToString([]byte(raw)),
			"quoted-printable": qp.String(),
		}
		if c.label == "ISO-2022-JP" {
			bodies["7bit"] = raw
		}
		for cte, body := range bodies {
			subj := "=?" + c.label + "?B?" + base64.StdEncoding.EncodeToString([]byte(raw)) + "?="
			m := mustParse(t, "From: a@b.c\r\nSubject: "+subj+"\r\nContent-Type: text/plain; charset=\""+c.label+"\"\r\nContent-Transfer-Encoding: "+cte+"\r\n\r\n"+body+"\r\n")
			if m.Text != c.text {
				t.Errorf("%s %s: text %q, want %q", c.label, cte, m.Text, c.text)
			}
			if m.Subject != c.text {
				t.Errorf("%s: subject %q, want %q", c.label, m.Subject, c.text)
			}
			if len(m.Charsets) != 1 || m.Charsets[0] != strings.ToLower(c.label) {
				t.Errorf("%s: charsets %v", c.label, m.Charsets)
			}
			if len(m.Problems) != 0 {
				t.Errorf("%s %s: problems %v", c.label, cte, m.Problems)
			}
		}
	}
}

func TestCharsetsDeduplicated(t *testing.T) {
	m := mustParse(t, "From: a@b.c\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhi\r\n--b\r\nContent-Type: text/html; charset=\"utf-8\"\r\n\r\n<p>hi</p>\r\n--b--\r\n")
	if strings.Join(m.Charsets, ",") != "utf-8" {
		t.Errorf("charsets %v", m.Charsets)
	}
}

func TestOddCharsetLabels(t *testing.T) {
	cases := []struct{ label, in, want string }{
		{"utf-7", "Hi Mom -+Jjo--!  A+ImIDkQ. 1 +- 1", "Hi Mom -☺-!  A≢Α. 1 + 1"},
		{"utf-7", "+ZeVnLIqe-", "日本語"},
		{"gb2312_charset", "\xc4\xe3\xba\xc3", "你好"},
		{"3Dbig5", "\xa5\x5f\xa8\xca", "北京"},
		{"chinesebig5", "\xa5\x5f\xa8\xca", "北京"},
	}
	for _, c := range cases {
		got, known := toUTF8([]byte(c.in), c.label)
		if got != c.want || !known {
			t.Errorf("toUTF8(%q, %q) = %q, %v; want %q", c.in, c.label, got, known, c.want)
		}
	}
}
