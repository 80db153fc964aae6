package auth

import (
	"net"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// ClientFromReceived finds the real SMTP client of a message that reached
// us through a trusted MTA (Postfix content_filter): go-smtp has no
// XFORWARD, so the peer we see is the MTA, and the client it saw is in the
// Received field it added on top. Postfix writes
//
//	Received: from helo.name (rdns.name [192.0.2.1])
//	Received: from helo.name (unknown [IPv6:2001:db8::1])
//
// When that client is itself trusted (a chain of our own relays), the next
// field down is read, and so on; trusted holds IPs or CIDR prefixes. ok is
// false when there is no outside client to be found: no readable field
// (the MTA's own bounces have none with "from"), or only trusted hops (a
// local submission). SPF then has nothing to check.
func ClientFromReceived(h textproto.Header, trusted []string) (ip net.IP, helo string, ok bool) {
	nets := parseTrusted(trusted)
	for _, v := range h.Values("Received") {
		ip, helo, ok = parseReceived(v)
		if !ok {
			return nil, "", false
		}
		if !isTrusted(ip, nets) {
			return ip, helo, true
		}
	}
	// Every hop was trusted: the mail was written inside (a local
	// submission, a bounce); there is no outside client.
	return nil, "", false
}

// parseReceived reads the from-clause of a Received field: the HELO name,
// and the IP in square brackets of the comment after it.
func parseReceived(v string) (net.IP, string, bool) {
	v = strings.Join(strings.Fields(v), " ")
	rest, found := strings.CutPrefix(v, "from ")
	if !found {
		return nil, "", false
	}
	// helo is the first token; the comment in parentheses follows.
	helo, rest, _ := strings.Cut(rest, " ")
	open := strings.IndexByte(rest, '(')
	if open < 0 {
		// "from [192.0.2.1]" with no comment: the HELO was the literal.
		if ip := bracketIP(helo); ip != nil {
			return ip, helo, true
		}
		return nil, "", false
	}
	closeAt := strings.IndexByte(rest[open:], ')')
	if closeAt < 0 {
		return nil, "", false
	}
	comment := rest[open+1 : open+closeAt]
	// Exim writes "(helo=name)"; the IP is then in a bracket before it.
	if ip := bracketIP(comment); ip != nil {
		return ip, helo, true
	}
	if ip := bracketIP(helo); ip != nil {
		if h, ok := strings.CutPrefix(comment, "helo="); ok {
			return ip, h, true
		}
		return ip, helo, true
	}
	return nil, "", false
}

// bracketIP returns the address in the first [...] of s, with or without
// Postfix's "IPv6:" prefix.
func bracketIP(s string) net.IP {
	i := strings.IndexByte(s, '[')
	if i < 0 {
		return nil
	}
	j := strings.IndexByte(s[i:], ']')
	if j < 0 {
		return nil
	}
	lit := s[i+1 : i+j]
	if len(lit) > 5 && strings.EqualFold(lit[:5], "ipv6:") {
		lit = lit[5:]
	}
	return net.ParseIP(lit)
}

func parseTrusted(list []string) []*net.IPNet {
	var out []*net.IPNet
	for _, s := range list {
		s = strings.TrimSpace(s)
		if _, n, err := net.ParseCIDR(s); err == nil {
			out = append(out, n)
			continue
		}
		if ip := net.ParseIP(s); ip != nil {
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
		}
	}
	return out
}

func isTrusted(ip net.IP, nets []*net.IPNet) bool {
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// IsTrusted tells whether ip is one of the trusted relays (IPs or CIDR
// prefixes), for the caller deciding whether to use ClientFromReceived.
func IsTrusted(ip net.IP, trusted []string) bool {
	return ip != nil && isTrusted(ip, parseTrusted(trusted))
}

// IsOurs tells whether an incoming Authentication-Results field value
// claims our authserv-id. Such a field did not come from us (we add ours
// after reading the message) and must be removed, or a sender could forge
// a pass (RFC 8601 §5).
func IsOurs(value, authservID string) bool {
	id := authservIDOf(value)
	return id != "" && strings.EqualFold(strings.TrimSuffix(id, "."), strings.TrimSuffix(authservID, "."))
}

// authservIDOf returns the authserv-id of a field value: the first token,
// with comments skipped and a quoted string unquoted.
func authservIDOf(v string) string {
	var b strings.Builder
	depth := 0
	quoted := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quoted:
			if c == '\\' && i+1 < len(v) {
				i++
				b.WriteByte(v[i])
			} else if c == '"' {
				return b.String()
			} else {
				b.WriteByte(c)
			}
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
			if c == '\\' {
				i++
			}
		case c == '"' && b.Len() == 0:
			quoted = true
		case c == ';' || c == ' ' || c == '\t' || c == '\r' || c == '\n':
			if b.Len() > 0 {
				return b.String()
			}
			if c == ';' {
				return ""
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
