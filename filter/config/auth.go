package config

// Auth is the [auth] section: DKIM, SPF, DMARC and sender checks.
type Auth struct {
	// Enabled turns DNS-based authentication (DKIM, SPF, DMARC) on.
	Enabled bool `toml:"enabled"`
	// AuthservID names us in Authentication-Results; incoming headers with
	// this id are removed. Default: smtp.hostname.
	AuthservID string `toml:"authserv_id"`
	// TrustedRelays are IPs of MTAs in front of us (Postfix content_filter):
	// for their connections the client IP and HELO come from the top
	// Received header they added.
	TrustedRelays []string `toml:"trusted_relays"`
}

func defaultAuth() Auth { return Auth{Enabled: true} }

func (a *Auth) validate(p *problems) {}
