package extract

import (
	"strings"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/decode"
)

// TestWorstCases feeds texts that repeat one cue thousands of times: the
// work must stay bounded (the limit is loose for loaded test machines).
func TestWorstCases(t *testing.T) {
	x := exampleExtractor(t)
	for _, unit := range []string{"K200, X Pro and Snow, ", "kick scooter ", "2 pcs ", "1x40HQ ", "a sample ", "Ltd. ", "We are Acme ", "+1 555 ", "spare wheels ", "ER-E8 ", "Main Street 5 ", "www.a.com ", "FOB "} {
		text := strings.Repeat(unit, 64<<10/len(unit))
		start := time.Now()
		x.Extract(&decode.Message{Subject: unit, Text: text, Signature: text})
		if d := time.Since(start); d > time.Second {
			t.Errorf("%q repeated: %v", unit, d)
		} else {
			t.Logf("%q repeated: %v", unit, d)
		}
	}
}
