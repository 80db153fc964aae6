package headers

import (
	"bytes"
	"strings"
)

// Owned returns the drop function for Rewrite that removes the incoming
// copies of the header fields tradesift writes itself: X-Buyer-* (among
// them X-Buyer-Type, X-Buyer-Signals, X-Buyer-Rep), X-Grade, X-Reply-Plan,
// and Authentication-Results whose authserv-id is ours (RFC 8601 §5: a
// border MTA must delete such fields, or a sender could forge a verdict).
// Other hosts' Authentication-Results are kept. Names compare
// case-insensitively (RFC 5322 §1.2.2), authserv-ids too (they are domain
// names).
func Owned(authservID string) func(name string, value []byte) bool {
	id := strings.TrimSuffix(authservID, ".")
	return func(name string, value []byte) bool {
		switch {
		case len(name) >= len("X-Buyer-") && strings.EqualFold(name[:len("X-Buyer-")], "X-Buyer-"):
			return true
		case strings.EqualFold(name, "X-Grade"), strings.EqualFold(name, "X-Reply-Plan"):
			return true
		case strings.EqualFold(name, "Authentication-Results"):
			got := AuthservID(value)
			// An empty id would match any field without one; keep those
			// only when we have no id at all.
			return id != "" && strings.EqualFold(strings.TrimSuffix(got, "."), id)
		}
		return false
	}
}

// AuthservID returns the authserv-id of an Authentication-Results value
// (RFC 8601 §2.2): the first token, after any comments and folding white
// space, up to white space, a comment or ';'. A quoted-string is unquoted.
func AuthservID(value []byte) string {
	v := skipCFWS(value)
	if len(v) > 0 && v[0] == '"' {
		var b []byte
		for i := 1; i < len(v); i++ {
			switch v[i] {
			case '\\':
				if i+1 < len(v) {
					i++
					b = append(b, v[i])
				}
			case '"':
				return string(b)
			default:
				b = append(b, v[i])
			}
		}
		return string(b)
	}
	end := bytes.IndexAny(v, " \t\r\n(;")
	if end < 0 {
		end = len(v)
	}
	return string(v[:end])
}

// skipCFWS skips white space, line ends and comments (nested, with
// quoted-pairs; RFC 5322 §3.2.2).
func skipCFWS(v []byte) []byte {
	depth := 0
	for len(v) > 0 {
		c := v[0]
		switch {
		case depth > 0 && c == '\\' && len(v) > 1:
			v = v[2:]
			continue
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0, c == ' ', c == '\t', c == '\r', c == '\n':
		default:
			return v
		}
		v = v[1:]
	}
	return v
}
