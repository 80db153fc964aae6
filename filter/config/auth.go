package config

import (
	"net"
	"strings"
)

// Auth is the [auth] section: DKIM, SPF, DMARC and sender checks.
type Auth struct {
	// Enabled turns DNS-based authentication (DKIM, SPF, DMARC) on.
	Enabled bool `toml:"enabled"`
	// AuthservID names us in Authentication-Results; incoming headers with
	// this id are removed. Default: smtp.hostname.
	AuthservID string `toml:"authserv_id"`
	// TrustedRelays are IPs of MTAs in front of us (Postfix content_filter):
	// for their connections the client IP and HELO come from the top
	// Received header they added. An entry is an IP or a CIDR prefix.
	TrustedRelays []string `toml:"trusted_relays"`
}

func defaultAuth() Auth { return Auth{Enabled: true} }

func (a *Auth) validate(p *problems) {
	// RFC 8601 §2.5: the authserv-id is a token; a host name is the norm.
	if strings.ContainsAny(a.AuthservID, " \t\r\n;()\"\\") {
		p.add("auth.authserv_id", "%q must be a host name, without spaces, ';', quotes or parentheses", a.AuthservID)
	}
	for _, r := range a.TrustedRelays {
		if net.ParseIP(strings.TrimSpace(r)) != nil {
			continue
		}
		if _, _, err := net.ParseCIDR(strings.TrimSpace(r)); err == nil {
			continue
		}
		p.add("auth.trusted_relays", "%q is not an IP address or CIDR prefix (write \"127.0.0.1\" or \"10.0.0.0/8\")", r)
	}
}
