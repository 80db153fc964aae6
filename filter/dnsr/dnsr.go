// Package dnsr is the DNS resolver of the authentication checks (DKIM, SPF,
// DMARC). It asks one configured server (or those of /etc/resolv.conf),
// caches answers for their TTL in a cache of bounded size, and never waits
// longer than the caller's context allows: the per-message time budget is a
// context deadline (see Resolver.Budget).
//
// Errors are *net.DNSError values, the shape go-msgauth and
// blitiri.com.ar/go/spf inspect: IsNotFound for NXDOMAIN and "no such
// record", IsTimeout for a spent budget, IsTemporary for SERVFAIL, refused
// connections and other server trouble. Those libraries map temporary errors
// to temperror, so DNS trouble shows up in Authentication-Results, and the
// mail goes on.
package dnsr

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/net/idna"
)

// DefaultBudget is the DNS time one message may spend when none is set.
const DefaultBudget = 5 * time.Second

// DefaultCacheSize is the number of answers kept when none is set.
const DefaultCacheSize = 10000

// maxTTL caps how long an answer is kept, whatever its TTL says, so a
// changed key or policy is seen within the hour.
const maxTTL = time.Hour

// negativeTTL is how long NXDOMAIN and empty answers are kept when the
// server sent no SOA to take it from (RFC 2308 §5).
const negativeTTL = 5 * time.Minute

// attemptTimeout bounds one UDP exchange; a lost datagram is retried once
// within the budget.
const attemptTimeout = 2 * time.Second

// Options tune a Resolver; the zero value is fine.
type Options struct {
	// Budget is the total DNS time of one message (Resolver.Budget);
	// zero means DefaultBudget.
	Budget time.Duration
	// CacheSize is the largest number of answers kept; zero means
	// DefaultCacheSize, negative disables the cache.
	CacheSize int
	// Now is the clock of the cache; nil means time.Now.
	Now func() time.Time
}

// Resolver answers TXT, A/AAAA, MX and PTR questions. It is safe for
// concurrent use. Its method set is spf.DNSResolver.
type Resolver struct {
	servers []string
	budget  time.Duration
	cache   *cache // nil when disabled
}

// New returns a resolver asking server (host:port, or host for port 53);
// an empty server means the nameservers of /etc/resolv.conf.
func New(server string, opts Options) (*Resolver, error) {
	var servers []string
	if server == "" {
		var err error
		servers, err = systemServers("/etc/resolv.conf")
		if err != nil {
			return nil, err
		}
	} else {
		if _, _, err := net.SplitHostPort(server); err != nil {
			server = net.JoinHostPort(server, "53")
		}
		servers = []string{server}
	}
	r := &Resolver{servers: servers, budget: opts.Budget}
	if r.budget <= 0 {
		r.budget = DefaultBudget
	}
	size := opts.CacheSize
	if size == 0 {
		size = DefaultCacheSize
	}
	if size > 0 {
		now := opts.Now
		if now == nil {
			now = time.Now
		}
		r.cache = newCache(size, now)
	}
	return r, nil
}

// systemServers reads the nameserver lines of a resolv.conf file.
func systemServers(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dnsr: no system resolver: %w", err)
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			host := f[1]
			if i := strings.IndexByte(host, '%'); i >= 0 { // zone of a link-local address
				host = host[:i]
			}
			if net.ParseIP(host) != nil {
				out = append(out, net.JoinHostPort(host, "53"))
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("dnsr: no nameserver in %s", path)
	}
	return out, nil
}

// Servers returns the servers asked, in order.
func (r *Resolver) Servers() []string { return append([]string(nil), r.servers...) }

// Budget returns a context that ends when the per-message DNS time budget
// is spent. Every lookup of one message should share it.
func (r *Resolver) Budget(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.budget)
}

// LookupTXT returns the TXT records of name, the strings of each record
// joined, as net.LookupTXT does.
func (r *Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	ans, err := r.lookup(ctx, name, dnsmessage.TypeTXT)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range ans.records {
		if txt, ok := rr.Body.(*dnsmessage.TXTResource); ok {
			out = append(out, strings.Join(txt.TXT, ""))
		}
	}
	return out, nil
}

// LookupIPAddr returns the IPv4 and IPv6 addresses of host. It fails only
// when neither question could be answered.
func (r *Resolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	type res struct {
		ans answer
		err error
	}
	ch := make(chan res, 1)
	go func() {
		ans, err := r.lookup(ctx, host, dnsmessage.TypeAAAA)
		ch <- res{ans, err}
	}()
	a4, err4 := r.lookup(ctx, host, dnsmessage.TypeA)
	r6 := <-ch
	a6, err6 := r6.ans, r6.err
	var out []net.IPAddr
	for _, rr := range a4.records {
		if a, ok := rr.Body.(*dnsmessage.AResource); ok {
			out = append(out, net.IPAddr{IP: net.IP(append([]byte(nil), a.A[:]...))})
		}
	}
	for _, rr := range a6.records {
		if a, ok := rr.Body.(*dnsmessage.AAAAResource); ok {
			out = append(out, net.IPAddr{IP: net.IP(append([]byte(nil), a.AAAA[:]...))})
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	// Prefer the error that says most: a temporary one over "not found".
	for _, err := range []error{err4, err6} {
		var de *net.DNSError
		if errors.As(err, &de) && (de.IsTemporary || de.IsTimeout) {
			return nil, err
		}
	}
	if err4 != nil {
		return nil, err4
	}
	if err6 != nil {
		return nil, err6
	}
	return nil, notFound(host, r.servers[0])
}

// LookupMX returns the MX records of name, in the order received.
func (r *Resolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	ans, err := r.lookup(ctx, name, dnsmessage.TypeMX)
	if err != nil {
		return nil, err
	}
	var out []*net.MX
	for _, rr := range ans.records {
		if mx, ok := rr.Body.(*dnsmessage.MXResource); ok {
			out = append(out, &net.MX{Host: mx.MX.String(), Pref: mx.Pref})
		}
	}
	return out, nil
}

// LookupAddr returns the names (PTR) of an IP address.
func (r *Resolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	ip := net.ParseIP(addr)
	if ip == nil {
		return nil, &net.DNSError{Err: "unrecognized address", Name: addr}
	}
	ans, err := r.lookup(ctx, reverseName(ip), dnsmessage.TypePTR)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range ans.records {
		if p, ok := rr.Body.(*dnsmessage.PTRResource); ok {
			out = append(out, p.PTR.String())
		}
	}
	return out, nil
}

// VerifiedName returns the forward-confirmed reverse DNS name of addr
// (without the final dot): the first of its PTR names whose A or AAAA
// records include addr; "" if none does.
func (r *Resolver) VerifiedName(ctx context.Context, addr string) (string, error) {
	ip := net.ParseIP(addr)
	names, err := r.LookupAddr(ctx, addr)
	if err != nil || ip == nil {
		return "", err
	}
	var last error
	for _, n := range names {
		ips, err := r.LookupIPAddr(ctx, n)
		if err != nil {
			last = err
			continue
		}
		for _, a := range ips {
			if a.IP.Equal(ip) {
				return strings.TrimSuffix(n, "."), nil
			}
		}
	}
	return "", last
}

func reverseName(ip net.IP) string {
	if v4 := ip.To4(); v4 != nil {
		return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa.", v4[3], v4[2], v4[1], v4[0])
	}
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 64+9)
	for i := len(ip) - 1; i >= 0; i-- {
		b = append(b, hex[ip[i]&0xf], '.', hex[ip[i]>>4], '.')
	}
	return string(append(b, "ip6.arpa."...))
}

// answer is what a question got: the records of the name asked (CNAME
// chain followed), and how long they may be kept.
type answer struct {
	records  []dnsmessage.Resource
	notFound bool // NXDOMAIN, or no record of that type
	ttl      time.Duration
}

// lookup answers from the cache or asks the servers.
func (r *Resolver) lookup(ctx context.Context, name string, qtype dnsmessage.Type) (answer, error) {
	fqdn, err := canonical(name)
	if err != nil {
		return answer{}, &net.DNSError{Err: err.Error(), Name: name, IsNotFound: true}
	}
	key := cacheKey{name: fqdn, qtype: qtype}
	if r.cache != nil {
		if ans, ok := r.cache.get(key); ok {
			if ans.notFound {
				return ans, notFound(name, "cache")
			}
			return ans, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return answer{}, ctxError(name, "", err)
	}
	var lastErr error
	// Each server twice at most (a lost UDP datagram), within the budget.
	for attempt := 0; attempt < 2; attempt++ {
		for _, server := range r.servers {
			ans, err := exchange(ctx, server, fqdn, qtype)
			if err == nil {
				if r.cache != nil && ans.ttl > 0 {
					r.cache.put(key, ans)
				}
				if ans.notFound {
					return ans, notFound(name, server)
				}
				return ans, nil
			}
			lastErr = err
			if ctx.Err() != nil {
				return answer{}, ctxError(name, server, ctx.Err())
			}
		}
	}
	return answer{}, lastErr
}

// canonical returns name as a lower-case, absolute, ASCII domain name.
func canonical(name string) (string, error) {
	name = strings.TrimSuffix(name, ".")
	if name == "" {
		return "", errors.New("empty name")
	}
	ascii := true
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii {
		var err error
		// DKIM selectors and SPF macros may carry labels that are not
		// host names (underscores), so no STD3 rules here.
		name, err = idna.Punycode.ToASCII(name)
		if err != nil {
			return "", err
		}
	}
	name = strings.ToLower(name) + "."
	if len(name) > 254 {
		return "", errors.New("name too long")
	}
	return name, nil
}

func notFound(name, server string) error {
	return &net.DNSError{Err: "no such host", Name: name, Server: server, IsNotFound: true}
}

func ctxError(name, server string, err error) error {
	return &net.DNSError{Err: "DNS time budget spent: " + err.Error(), Name: name, Server: server, IsTimeout: true}
}

func tempError(name, server, msg string) error {
	return &net.DNSError{Err: msg, Name: name, Server: server, IsTemporary: true}
}

// exchange asks one server one question over UDP, and again over TCP when
// the answer was truncated.
func exchange(ctx context.Context, server, fqdn string, qtype dnsmessage.Type) (answer, error) {
	qname, err := dnsmessage.NewName(fqdn)
	if err != nil {
		return answer{}, &net.DNSError{Err: err.Error(), Name: fqdn, IsNotFound: true}
	}
	q := dnsmessage.Question{Name: qname, Type: qtype, Class: dnsmessage.ClassINET}
	var idb [2]byte
	_, _ = rand.Read(idb[:])
	id := binary.BigEndian.Uint16(idb[:])
	req, err := buildQuery(id, q)
	if err != nil {
		return answer{}, &net.DNSError{Err: err.Error(), Name: fqdn}
	}
	resp, err := exchangeUDP(ctx, server, req, id, q)
	if err == nil && resp.Truncated {
		resp, err = exchangeTCP(ctx, server, req, id, q)
	}
	if err != nil {
		if ctx.Err() != nil {
			return answer{}, ctxError(fqdn, server, ctx.Err())
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return answer{}, &net.DNSError{Err: "i/o timeout", Name: fqdn, Server: server, IsTimeout: true}
		}
		return answer{}, tempError(fqdn, server, shortError(err))
	}
	return parseAnswer(resp, fqdn, server, qtype)
}

// shortError drops the socket addresses of a network error, which the
// DNSError repeats, keeping what went wrong ("connection refused").
func shortError(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
		var sys *os.SyscallError
		if errors.As(err, &sys) {
			err = sys.Err
		}
	}
	return err.Error()
}

func buildQuery(id uint16, q dnsmessage.Question) ([]byte, error) {
	b := dnsmessage.NewBuilder(make([]byte, 2, 514), dnsmessage.Header{ID: id, RecursionDesired: true})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAdditionals(); err != nil {
		return nil, err
	}
	// EDNS0 with a 1232-byte payload (the DNS flag day size), so 2048-bit
	// DKIM keys come over UDP without truncation.
	var opt dnsmessage.ResourceHeader
	if err := opt.SetEDNS0(1232, dnsmessage.RCodeSuccess, false); err != nil {
		return nil, err
	}
	if err := b.OPTResource(opt, dnsmessage.OPTResource{}); err != nil {
		return nil, err
	}
	// The first two bytes are room for the TCP length prefix.
	return b.Finish()
}

// udpBufs hold room for any datagram: a server that sends more than the
// EDNS0 size we offered must not leave us with a cut answer and a wait.
var udpBufs = sync.Pool{New: func() any { b := make([]byte, 65535); return &b }}

// dialAttempt connects for one attempt of at most attemptTimeout: the
// connection's deadline follows the attempt's context, so a cancelled
// lookup stops reading at once. done closes it.
func dialAttempt(ctx context.Context, network, server string) (net.Conn, func(), error) {
	var d net.Dialer
	actx, cancel := context.WithTimeout(ctx, attemptTimeout)
	conn, err := d.DialContext(actx, network, server)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	stop := context.AfterFunc(actx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	if dl, ok := actx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	return conn, func() { stop(); conn.Close(); cancel() }, nil
}

func exchangeUDP(ctx context.Context, server string, req []byte, id uint16, q dnsmessage.Question) (*dnsmessage.Message, error) {
	conn, done, err := dialAttempt(ctx, "udp", server)
	if err != nil {
		return nil, err
	}
	defer done()
	if _, err := conn.Write(req[2:]); err != nil {
		return nil, err
	}
	bp := udpBufs.Get().(*[]byte)
	defer udpBufs.Put(bp)
	buf := *bp
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return nil, err
		}
		var m dnsmessage.Message
		if err := m.Unpack(buf[:n]); err != nil {
			continue // garbage: wait for the real answer
		}
		if !matches(&m, id, q) {
			continue
		}
		return &m, nil
	}
}

func exchangeTCP(ctx context.Context, server string, req []byte, id uint16, q dnsmessage.Question) (*dnsmessage.Message, error) {
	conn, done, err := dialAttempt(ctx, "tcp", server)
	if err != nil {
		return nil, err
	}
	defer done()
	binary.BigEndian.PutUint16(req, uint16(len(req)-2))
	if _, err := conn.Write(req); err != nil {
		return nil, err
	}
	var lb [2]byte
	if _, err := io.ReadFull(conn, lb[:]); err != nil {
		return nil, err
	}
	buf := make([]byte, binary.BigEndian.Uint16(lb[:]))
	if _, err := io.ReadFull(conn, buf); err != nil {
		return nil, err
	}
	var m dnsmessage.Message
	if err := m.Unpack(buf); err != nil {
		return nil, err
	}
	if !matches(&m, id, q) {
		return nil, errors.New("answer does not match the question")
	}
	return &m, nil
}

func matches(m *dnsmessage.Message, id uint16, q dnsmessage.Question) bool {
	if !m.Response || m.ID != id || len(m.Questions) != 1 {
		return false
	}
	got := m.Questions[0]
	return got.Type == q.Type && got.Class == q.Class && strings.EqualFold(got.Name.String(), q.Name.String())
}

// parseAnswer keeps the records of the name asked, following CNAMEs, and
// works out how long the answer may be cached.
func parseAnswer(m *dnsmessage.Message, fqdn, server string, qtype dnsmessage.Type) (answer, error) {
	switch m.RCode {
	case dnsmessage.RCodeSuccess:
	case dnsmessage.RCodeNameError:
		return answer{notFound: true, ttl: negTTL(m)}, nil
	default:
		return answer{}, tempError(fqdn, server, "server answered "+m.RCode.String())
	}
	name := fqdn
	var out []dnsmessage.Resource
	var ttl uint32 = 1<<32 - 1
	for hops := 0; hops < 8; hops++ {
		var cname string
		for _, rr := range m.Answers {
			if !strings.EqualFold(rr.Header.Name.String(), name) {
				continue
			}
			if rr.Header.Type == qtype {
				out = append(out, rr)
				ttl = min(ttl, rr.Header.TTL)
			} else if c, ok := rr.Body.(*dnsmessage.CNAMEResource); ok && qtype != dnsmessage.TypeCNAME {
				cname = c.CNAME.String()
				ttl = min(ttl, rr.Header.TTL)
			}
		}
		if len(out) > 0 || cname == "" {
			break
		}
		name = cname
	}
	if len(out) == 0 {
		return answer{notFound: true, ttl: negTTL(m)}, nil
	}
	return answer{records: out, ttl: min(time.Duration(ttl)*time.Second, maxTTL)}, nil
}

// negTTL is the negative-caching time of RFC 2308 §5: the smaller of the
// SOA's TTL and its minimum field.
func negTTL(m *dnsmessage.Message) time.Duration {
	for _, rr := range m.Authorities {
		if soa, ok := rr.Body.(*dnsmessage.SOAResource); ok {
			return min(time.Duration(min(rr.Header.TTL, soa.MinTTL))*time.Second, maxTTL)
		}
	}
	return negativeTTL
}
