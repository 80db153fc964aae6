package auth

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// OrgDomain returns the organisational domain of d (RFC 7489 §3.2): the
// public suffix plus one label, from the Public Suffix List compiled into
// golang.org/x/net/publicsuffix. A name that is itself a public suffix, or
// has no dot, is returned as it is.
func OrgDomain(d string) string {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	org, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return d
	}
	return org
}
