// Package judge decides what kind of buyer wrote an inquiry, its grade, the
// reply plan (shared/profile.md §1, first rule that applies wins) and the
// rep it is routed to. Every decision carries the signals that fired, with
// their weights, so a rep or an admin can see why.
package judge

import "github.com/tradesift/tradesift/filter/extract"

// Buyer types (X-Buyer-Type).
const (
	Sourcing      = "sourcing"
	MarketEntry   = "market-entry"
	InfoGathering = "info-gathering"
	SampleSeeking = "sample-seeking"
	IntelProbe    = "intel-probe"
	None          = "none"
)

// Reply plans (X-Reply-Plan), in rule order.
const (
	PlanGuarded        = "guarded"
	PlanNotSellingNow  = "not-selling-now"
	PlanCannotFulfil   = "cannot-fulfil"
	PlanSampleTerms    = "sample-terms"
	PlanCounterInquiry = "counter-inquiry"
	PlanNotUrgent      = "not-urgent"
	PlanNeedTime       = "need-time"
	PlanQuote          = "quote"
)

// Signal is one reason for a decision: a stable ASCII name (it appears in
// X-Buyer-Signals and in logs) and the weight it contributed.
type Signal struct {
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
}

// Verdict is the judgement of one message. For non-inquiries BuyerType is
// None and Grade, ReplyPlan, Rep and ProbeKind are empty.
type Verdict struct {
	BuyerType string         `json:"buyer_type"`
	ProbeKind string         `json:"probe_kind"` // "copycat" or "competitor" for intel-probe
	Grade     string         `json:"grade"`
	ReplyPlan string         `json:"reply_plan"`
	Rep       string         `json:"rep"` // rep id, e.g. "lily.chen"
	Signals   []Signal       `json:"signals"`
	Fields    extract.Fields `json:"fields"`
}
