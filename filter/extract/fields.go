// Package extract finds who wants what in an inquiry's decoded text:
// catalog models, quantities (with container conversions), Incoterms,
// payment terms, target price, wanted delivery time, and the buyer's
// identity (company, contact, address, phone, website, country, language).
//
// Vocabulary is data: the catalog's model numbers, product words, spare-part
// context, products not made and custom-work cues come from the supplier
// configuration; units, number words, trade terms, legal forms, place names,
// calling codes and stopwords from the embedded files under data/. New
// compiles them all into one dictionary; Extract lower-cases the subject, new
// text and signature once, finds every word in one pass and reads the fields
// from those matches, so its cost grows with the text, not the vocabulary.
package extract

// Fields are what an inquiry says. Zero values mean "not found".
type Fields struct {
	Models []string `json:"models"` // catalog models, e.g. "ER-K200", "parts"
	// OtherProducts names products asked for that are not in our range
	// (matched from supplier.not_made), e.g. "hoverboard".
	OtherProducts []string `json:"other_products,omitempty"`
	// Quantity is the total number of pieces asked for as an order
	// (containers converted); nil when none or only "for reference".
	Quantity *int `json:"quantity"`
	// ModelQuantity is the quantity per model where the text says it.
	ModelQuantity map[string]int `json:"model_quantity,omitempty"`
	// Samples is the number of samples asked for ("3 free samples", "1 pc
	// each" of five models); Quantity falls back to it without an order.
	Samples int `json:"samples,omitempty"`
	// Custom names the custom-work cue groups of supplier.custom found in
	// the text ("custom-colour", "logo-beyond-deck", ...).
	Custom []string `json:"custom,omitempty"`

	Incoterm    string   `json:"incoterm"` // FOB, CIF, EXW, DDP, ...
	Payment     []string `json:"payment"`  // T/T, L/C, D/P, PayPal, ...
	TargetPrice *float64 `json:"target_price"`
	// TargetPriceModel is the model the target price is for, if known.
	TargetPriceModel string `json:"target_price_model,omitempty"`
	Currency         string `json:"currency"`
	// DeliveryDays is the wanted delivery time in days from order, if
	// the buyer asks for one.
	DeliveryDays *int `json:"delivery_days"`

	Company string `json:"company"`
	Contact string `json:"contact"`
	Address string `json:"address"`
	Phone   string `json:"phone"`
	Website string `json:"website"`
	Country string `json:"country"` // ISO 3166 alpha-2, upper case
	// Language is the ISO 639-1 code of the new text.
	Language string `json:"language"`
}
