package tag

import (
	"fmt"
	"math"
	"net/mail"

	"github.com/emersion/go-message/textproto"
	"strings"
	"testing"

	"github.com/tradesift/tradesift/filter/judge"
)

func TestBlockInquiry(t *testing.T) {
	v := judge.Verdict{BuyerType: "intel-probe", ProbeKind: "competitor", Grade: "D", ReplyPlan: "guarded", Rep: "lily.chen"}
	for i := 0; i < 20; i++ {
		v.Signals = append(v.Signals, judge.Signal{Name: "asks-dealer-discount-" + strings.Repeat("x", i), Weight: 1.5})
	}
	got := string(Block(v, []string{"dkim=fail", "spf=pass"}))
	for _, want := range []string{"X-Buyer-Type: intel-probe\r\n", "X-Grade: D\r\n", "X-Reply-Plan: guarded\r\n", "X-Buyer-Rep: lily.chen\r\n", "X-Buyer-Signals: competitor, asks-dealer-discount-(+1.5),"} {
		if !strings.Contains(got, want) {
			t.Errorf("block lacks %q:\n%s", want, got)
		}
	}
	for _, line := range strings.Split(got, "\r\n") {
		if len(line) > maxLine {
			t.Errorf("line longer than %d: %q", maxLine, line)
		}
	}
	// The block parses as a header and the folded value unfolds to the list.
	msg, err := mail.ReadMessage(strings.NewReader(got + "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	sig := msg.Header.Get("X-Buyer-Signals")
	if n := len(strings.Split(sig, ", ")); n != 23 {
		t.Errorf("X-Buyer-Signals has %d items, want 23: %q", n, sig)
	}
}

func TestBlockNone(t *testing.T) {
	v := judge.Verdict{BuyerType: "none", Grade: "A", ReplyPlan: "quote", Signals: []judge.Signal{{Name: "newsletter", Weight: 3}}}
	got := string(Block(v, nil))
	if got != "X-Buyer-Type: none\r\n" {
		t.Errorf("none block = %q", got)
	}
	got = string(Block(judge.Verdict{}, []string{"classifier-error"}))
	if got != "X-Buyer-Type: none\r\nX-Buyer-Signals: classifier-error\r\n" {
		t.Errorf("empty verdict block = %q", got)
	}
}

func TestTokenStripsInjection(t *testing.T) {
	v := judge.Verdict{BuyerType: "sourcing\r\nX-Evil: 1", Grade: "A", Rep: "kevin.wang\nBcc: x@y"}
	got := string(Block(v, nil))
	if strings.Contains(got, "X-Evil") && !strings.Contains(got, "sourcingX-Evil") || strings.Count(got, "\r\n") != 3 {
		t.Errorf("header injection not neutralised: %q", got)
	}
}

func TestSubject(t *testing.T) {
	var h textproto.Header
	h.AddRaw([]byte("Subject: =?utf-8?B?0JfQsNC/0YDQvtGB?=\r\n ER-K200\r\n"))
	got := string(Subject(h, "A"))
	if got != "Subject: [A] =?utf-8?B?0JfQsNC/0YDQvtGB?=\r\n ER-K200\r\n" {
		t.Errorf("Subject = %q", got)
	}
	h = textproto.Header{}
	h.AddRaw([]byte("Subject: [B] again\r\n"))
	if got := string(Subject(h, "B")); got != "Subject: [B] again\r\n" {
		t.Errorf("already tagged: %q", got)
	}
	if got := string(Subject(textproto.Header{}, "C")); got != "Subject: [C]\r\n" {
		t.Errorf("no subject: %q", got)
	}
}

func TestSignedWeightIsSprintf(t *testing.T) {
	for _, w := range []float64{0.5, -0.5, 1, -1.25, 0.05, 0.15, 0.25, -0.04, 0.04, 2.449999, 1e9, -1e-9, 123.45,
		math.Inf(1), math.Inf(-1), math.NaN(), math.Copysign(0, -1)} {
		if got, want := signedWeight(w), fmt.Sprintf("%+.1f", w); got != want {
			t.Errorf("signedWeight(%v) = %q, want %q", w, got, want)
		}
	}
	for i := range 200000 {
		w := float64(i-100000) / 997
		if got, want := signedWeight(w), fmt.Sprintf("%+.1f", w); got != want {
			t.Fatalf("signedWeight(%v) = %q, want %q", w, got, want)
		}
	}
}
