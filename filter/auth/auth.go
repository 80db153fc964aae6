// Package auth checks who really sent a message: DKIM (RFC 6376) of every
// signature, SPF (RFC 7208) of the envelope sender or HELO against the
// client IP, and DMARC (RFC 7489) of the From domain, with alignment and
// the organisational-domain fallback done here. The outcome is one
// Authentication-Results header (RFC 8601) and a few signals for the
// classifier.
//
// DNS trouble never stops a message: every lookup of a message shares one
// time budget (dnsr.Resolver.Budget), and what is not answered in time is
// temperror. The results are reported, never acted upon: a DMARC p=reject
// failure is tagged, not rejected.
package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/dnsr"
)

// Result values besides those of RFC 8601 §2.7.
const (
	// NotChecked means no check ran: authentication is disabled, or there
	// is no DNS (tradesift classify without a resolver), or there was
	// nothing to check against (SPF without a client IP).
	NotChecked = "not-checked"
)

// Signal names reported in X-Buyer-Signals.
const (
	SignalDKIMFail  = "dkim-fail"
	SignalSPFFail   = "spf-fail"
	SignalDMARCFail = "dmarc-fail"
)

// maxSignatures bounds the DKIM signatures verified per message: each costs
// a DNS lookup and a pass over the body.
const maxSignatures = 8

// The resolver is handed to the SPF library as it is.
var _ spf.DNSResolver = (*dnsr.Resolver)(nil)

// Checker runs the checks. It is safe for concurrent use.
type Checker struct {
	authservID string
	dns        *dnsr.Resolver // nil: nothing is checked
}

// New returns a checker configured by cfg: [auth] enabled and authserv_id,
// [dns] resolver and budget. With [auth] disabled it checks nothing.
func New(cfg *config.Config) (*Checker, error) {
	if !cfg.Auth.Enabled {
		return NewWithResolver(cfg, nil), nil
	}
	r, err := dnsr.New(cfg.DNS.Resolver, dnsr.Options{Budget: cfg.DNS.Budget.D()})
	if err != nil {
		return nil, err
	}
	return NewWithResolver(cfg, r), nil
}

// NewWithResolver returns a checker asking r; a nil r means no DNS, and
// every result is "not-checked".
func NewWithResolver(cfg *config.Config, r *dnsr.Resolver) *Checker {
	id := cfg.Auth.AuthservID
	if id == "" {
		id = cfg.SMTP.Hostname
	}
	if !cfg.Auth.Enabled {
		r = nil
	}
	return &Checker{authservID: id, dns: r}
}

// AuthservID is the name we sign Authentication-Results with.
func (c *Checker) AuthservID() string { return c.authservID }

// Input is what the checks need besides the message bytes.
type Input struct {
	// ClientIP is the SMTP client (behind a trusted MTA: see
	// ClientFromReceived); nil skips SPF.
	ClientIP net.IP
	// Helo is the name the client gave in HELO/EHLO.
	Helo string
	// MailFrom is the envelope sender without angle brackets; empty for
	// the null sender, whose SPF identity is then the HELO name.
	MailFrom string
	// Header is the top-level header of the message (From for DMARC).
	Header textproto.Header
}

// Result is the outcome of the checks. DKIM, SPF and DMARC are one of
// pass, fail, none, neutral, softfail, temperror, permerror (RFC 8601
// §2.7), or NotChecked.
type Result struct {
	DKIM, SPF, DMARC string
	// DKIMDomains are the d= domains of every DKIM-Signature, lower case,
	// whatever their result (filled even when nothing is checked).
	DKIMDomains []string
	// DKIMPass are the d= domains of the signatures that verified.
	DKIMPass []string
	// DMARCPolicy is the policy (none, quarantine, reject) of the DMARC
	// record that applied, or "".
	DMARCPolicy string
	// HeaderLine is the complete Authentication-Results field, folded,
	// ending in CRLF.
	HeaderLine string
	// Signals are SignalDKIMFail, SignalSPFFail, SignalDMARCFail as they
	// apply.
	Signals []string
}

// Check runs DKIM, SPF and DMARC on one message; msg is the whole raw
// message (header and body). It spends at most the DNS budget on lookups
// and never fails: what could not be decided is temperror or permerror.
func (c *Checker) Check(ctx context.Context, in Input, msg io.Reader) Result {
	res := Result{DKIM: NotChecked, SPF: NotChecked, DMARC: NotChecked}
	res.DKIMDomains = signingDomains(in.Header)
	fromDomain, fromErr := headerFromDomain(in.Header)
	if c.dns == nil {
		res.HeaderLine = formatHeader(c.authservID, nil)
		return res
	}
	ctx, cancel := c.dns.Budget(ctx)
	defer cancel()

	// SPF waits on DNS only; run it while DKIM hashes the body.
	var spfRes spfOutcome
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() {
			// A library bug on odd input must not take the relay down.
			if p := recover(); p != nil {
				spfRes = spfOutcome{value: "permerror", result: &authres.SPFResult{Value: authres.ResultPermError, Reason: fmt.Sprint("internal error: ", p)}}
			}
		}()
		spfRes = c.checkSPF(ctx, in)
	}()
	dkimRes := c.checkDKIM(ctx, msg, signatureDomains(in.Header))
	wg.Wait()

	var ar []authres.Result
	res.DKIM = dkimRes.value
	res.DKIMPass = dkimRes.passDomains
	ar = append(ar, dkimRes.results...)
	if spfRes.value != NotChecked {
		res.SPF = spfRes.value
		ar = append(ar, spfRes.result)
	}

	dm := c.checkDMARC(ctx, fromDomain, fromErr, dkimRes, spfRes)
	res.DMARC = dm.value
	res.DMARCPolicy = dm.policy
	ar = append(ar, dm.result)

	if res.DKIM == "fail" {
		res.Signals = append(res.Signals, SignalDKIMFail)
	}
	if res.SPF == "fail" {
		res.Signals = append(res.Signals, SignalSPFFail)
	}
	if res.DMARC == "fail" {
		res.Signals = append(res.Signals, SignalDMARCFail)
	}
	res.HeaderLine = formatHeader(c.authservID, ar)
	return res
}

// dkimOutcome is the verification of all signatures.
type dkimOutcome struct {
	value       string
	passDomains []string
	results     []authres.Result
}

// checkDKIM verifies every signature; sigDomains are the d= tags of the
// DKIM-Signature fields in order, to name signatures too broken for
// go-msgauth to say.
func (c *Checker) checkDKIM(ctx context.Context, msg io.Reader, sigDomains []string) (out dkimOutcome) {
	defer func() {
		// A library bug on odd input must not take the relay down.
		if p := recover(); p != nil {
			out = dkimOutcome{value: "permerror", results: []authres.Result{&authres.GenericResult{Method: "dkim",
				Value: authres.ResultPermError, Params: map[string]string{"reason": fmt.Sprint("internal error: ", p)}}}}
		}
	}()
	lookup := func(name string) ([]string, error) { return c.dns.LookupTXT(ctx, name) }
	verifs, err := dkim.VerifyWithOptions(msg, &dkim.VerifyOptions{
		LookupTXT:        lookup,
		MaxVerifications: maxSignatures,
	})
	if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) {
		// The message could not be read: every signature is unusable.
		out = dkimOutcome{value: "permerror"}
		for _, d := range append(sigDomains, "")[:max(1, len(sigDomains))] {
			out.results = append(out.results, &authres.GenericResult{Method: "dkim", Value: authres.ResultPermError,
				Params: map[string]string{"reason": reason(err), "header.d": d}})
		}
		return out
	}
	if len(verifs) == 0 {
		return dkimOutcome{value: "none", results: []authres.Result{
			&authres.GenericResult{Method: "dkim", Value: authres.ResultNone},
		}}
	}
	seen := map[string]bool{}
	for i, v := range verifs {
		if v.Domain == "" && i < len(sigDomains) {
			// go-msgauth stops before reading d= when v= is wrong.
			v.Domain = sigDomains[i]
		}
		value := dkimValue(v.Err)
		if value == authres.ResultPass {
			d := strings.ToLower(v.Domain)
			if !seen[d] {
				seen[d] = true
				out.passDomains = append(out.passDomains, d)
			}
		}
		params := map[string]string{"header.d": v.Domain, "header.i": v.Identifier}
		if v.Err != nil {
			params["reason"] = reason(v.Err)
		}
		out.results = append(out.results, &authres.GenericResult{Method: "dkim", Value: value, Params: params})
	}
	out.value = aggregateDKIM(out.results)
	return out
}

// dkimValue maps go-msgauth's verification error to an RFC 8601 result.
func dkimValue(err error) authres.ResultValue {
	switch {
	case err == nil:
		return authres.ResultPass
	case dkim.IsTempFail(err):
		return authres.ResultTempError
	case dkim.IsPermFail(err):
		return authres.ResultPermError
	default: // body hash or signature did not verify
		return authres.ResultFail
	}
}

// aggregateDKIM sums up several signatures: one that passes is enough;
// otherwise a broken signature (fail) says most, then a DNS problem, then
// an unusable signature.
func aggregateDKIM(rs []authres.Result) string {
	best := ""
	rank := map[authres.ResultValue]int{authres.ResultPass: 4, authres.ResultFail: 3, authres.ResultTempError: 2, authres.ResultPermError: 1}
	bestRank := 0
	for _, r := range rs {
		v := r.(*authres.GenericResult).Value
		if rank[v] > bestRank {
			best, bestRank = string(v), rank[v]
		}
	}
	return best
}

type spfOutcome struct {
	value    string
	domain   string // the domain checked (MAIL FROM's, or HELO)
	fromHelo bool
	result   authres.Result
}

func (c *Checker) checkSPF(ctx context.Context, in Input) spfOutcome {
	if in.ClientIP == nil {
		return spfOutcome{value: NotChecked}
	}
	helo := strings.TrimSuffix(strings.TrimSpace(in.Helo), ".")
	sender := strings.Trim(strings.TrimSpace(in.MailFrom), "<>")
	out := spfOutcome{}
	r := &authres.SPFResult{}
	if sender == "" {
		// RFC 7208 §2.4: the null sender is checked as postmaster@HELO.
		out.fromHelo = true
		out.domain = strings.ToLower(helo)
		sender = "postmaster@" + helo
		r.Helo = helo
	} else {
		out.domain = strings.ToLower(domainOf(sender))
		r.From = sender
	}
	if out.domain == "" || strings.HasPrefix(out.domain, "[") || net.ParseIP(out.domain) != nil {
		// No domain to ask about: a null sender with no HELO or an
		// address literal as HELO (RFC 7208 §2.3).
		out.value = "none"
		r.Value = authres.ResultNone
		out.result = r
		return out
	}
	v, err := spf.CheckHostWithSender(in.ClientIP, helo, sender,
		spf.WithResolver(c.dns), spf.WithContext(ctx))
	out.value = string(v)
	r.Value = authres.ResultValue(v)
	if err != nil && v != spf.Pass && v != spf.None {
		r.Reason = reason(err)
	}
	out.result = r
	return out
}

type dmarcOutcome struct {
	value  string
	policy string
	result authres.Result
}

// checkDMARC evaluates RFC 7489 §6.6: the record of the From domain, or of
// its organisational domain; a pass needs an aligned DKIM pass or an
// aligned SPF pass.
func (c *Checker) checkDMARC(ctx context.Context, fromDomain string, fromErr error, dk dkimOutcome, sp spfOutcome) dmarcOutcome {
	r := &authres.DMARCResult{From: fromDomain}
	out := func(v authres.ResultValue, policy, why string) dmarcOutcome {
		r.Value, r.Reason = v, why
		return dmarcOutcome{value: string(v), policy: policy, result: r}
	}
	if fromErr != nil {
		return out(authres.ResultPermError, "", fromErr.Error())
	}
	lookup := &dmarc.LookupOptions{LookupTXT: func(name string) ([]string, error) {
		return c.dns.LookupTXT(ctx, name)
	}}
	org := OrgDomain(fromDomain)
	rec, err := dmarc.LookupWithOptions(fromDomain, lookup)
	usedOrg := false
	if errors.Is(err, dmarc.ErrNoPolicy) && org != fromDomain {
		rec, err = dmarc.LookupWithOptions(org, lookup)
		usedOrg = true
	}
	switch {
	case errors.Is(err, dmarc.ErrNoPolicy):
		return out(authres.ResultNone, "", "")
	case dmarc.IsTempFail(err):
		return out(authres.ResultTempError, "", reason(err))
	case err != nil:
		return out(authres.ResultPermError, "", reason(err))
	}
	policy := string(rec.Policy)
	if usedOrg && rec.SubdomainPolicy != "" {
		policy = string(rec.SubdomainPolicy)
	}

	for _, d := range dk.passDomains {
		if aligned(fromDomain, d, rec.DKIMAlignment) {
			return out(authres.ResultPass, policy, "")
		}
	}
	if sp.value == "pass" && aligned(fromDomain, sp.domain, rec.SPFAlignment) {
		return out(authres.ResultPass, policy, "")
	}
	// No aligned pass. If a check could not be completed, a pass was
	// still possible: say so rather than fail.
	if dk.value == "temperror" || sp.value == "temperror" {
		return out(authres.ResultTempError, policy, "DKIM or SPF could not be checked")
	}
	return out(authres.ResultFail, policy, "p="+policy)
}

// aligned tells whether identifier domain d is aligned with the From domain
// (RFC 7489 §3.1): equal when strict, the same organisational domain when
// relaxed.
func aligned(from, d string, mode dmarc.AlignmentMode) bool {
	from, d = strings.ToLower(from), strings.ToLower(strings.TrimSuffix(d, "."))
	if from == d {
		return true
	}
	if mode == dmarc.AlignmentStrict {
		return false
	}
	return OrgDomain(from) == OrgDomain(d)
}

// headerFromDomain returns the domain of the single From address. DMARC is
// permerror for a message without one, or with several (RFC 7489 §6.6.1).
func headerFromDomain(h textproto.Header) (string, error) {
	fields := h.Values("From")
	if len(fields) != 1 {
		if len(fields) == 0 {
			return "", errors.New("no From field")
		}
		return "", errors.New("several From fields")
	}
	v := fields[0]
	var addr string
	if list, err := mail.ParseAddressList(v); err == nil {
		if len(list) != 1 {
			return "", errors.New("several From addresses")
		}
		addr = list[0].Address
	} else {
		// Lenient: take what looks like addr-spec, in brackets or not.
		addr = v
		if i := strings.LastIndexByte(v, '<'); i >= 0 {
			addr = v[i+1:]
			if j := strings.IndexByte(addr, '>'); j >= 0 {
				addr = addr[:j]
			}
		}
		addr = strings.TrimSpace(addr)
	}
	d := strings.ToLower(strings.TrimSuffix(domainOf(addr), "."))
	if d == "" || strings.ContainsAny(d, " \t<>()[],;:\"") {
		return "", errors.New("no domain in From")
	}
	return d, nil
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}

// signingDomains lists the d= tags of the DKIM-Signature fields, without
// duplicates or empty ones.
func signingDomains(h textproto.Header) []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range signatureDomains(h) {
		if d != "" && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// signatureDomains returns the d= tag of each DKIM-Signature field, in
// order, "" where there is none.
func signatureDomains(h textproto.Header) []string {
	var out []string
	for _, v := range h.Values("Dkim-Signature") {
		d := ""
		for _, tag := range strings.Split(v, ";") {
			k, val, ok := strings.Cut(tag, "=")
			if ok && strings.TrimSpace(k) == "d" {
				d = strings.ToLower(strings.TrimSuffix(strings.Join(strings.Fields(val), ""), "."))
				break
			}
		}
		out = append(out, d)
	}
	return out
}

// reason makes an error short and on one line for a reason= value.
func reason(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	s = strings.TrimPrefix(s, "dkim: ")
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// formatHeader renders the Authentication-Results field with one method
// result per line, folded as RFC 5322 allows. No results means "none"
// (RFC 8601 §2.2: nothing was checked).
func formatHeader(authservID string, results []authres.Result) string {
	var b strings.Builder
	b.WriteString("Authentication-Results: ")
	b.WriteString(authservID)
	if len(results) == 0 {
		b.WriteString("; none\r\n")
		return b.String()
	}
	for _, r := range results {
		one := authres.Format("", []authres.Result{r})
		one = strings.TrimSpace(strings.TrimPrefix(one, ";"))
		b.WriteString(";\r\n\t")
		b.WriteString(one)
	}
	b.WriteString("\r\n")
	return b.String()
}
