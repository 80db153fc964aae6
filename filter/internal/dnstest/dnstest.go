// Package dnstest starts a real DNS server (dnsmasq from Debian's
// dnsmasq-base) on a loopback port for tests: DKIM keys, SPF and DMARC
// records, A and MX records, served exactly as a mail receiver would see
// them. Every name not configured is NXDOMAIN, nothing is forwarded.
//
// When a tool is missing, tests skip with a one-line reason, unless the
// environment has TRADESIFT_REQUIRE_TOOLS=1 (CI), where they fail.
package dnstest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// DNSMasq is the path of the dnsmasq binary.
const DNSMasq = "/usr/sbin/dnsmasq"

// MaxConfigLine is the longest line dnsmasq reads from its configuration
// (it cuts at 1024 bytes); a TXT record must fit in one, which allows
// about 950 bytes of text: enough for a 4096-bit RSA DKIM key.
const MaxConfigLine = 1020

// Zone is what the server answers. Names are absolute, without the final
// dot ("sel._domainkey.example.com").
type Zone struct {
	// TXT maps a name to its TXT records; each record is one string, split
	// into 255-byte character-strings here.
	TXT map[string][]string
	// A maps a name to IPv4 or IPv6 addresses (A and AAAA records).
	A map[string][]string
	// MX maps a name to "preference target" values, e.g. "10 mx.example.com".
	MX map[string][]string
	// TTL of every answer, in seconds; zero means 300.
	TTL int
}

// Server is a running dnsmasq.
type Server struct {
	// Addr is its 127.0.0.1:port.
	Addr string

	cmd  *exec.Cmd
	dir  string
	log  *syncBuffer
	once sync.Once
	done chan struct{}
}

// RequireTool skips the test when path is not an executable file, or fails
// it when TRADESIFT_REQUIRE_TOOLS=1.
func RequireTool(t testing.TB, path, why string) {
	t.Helper()
	if st, err := os.Stat(path); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
		return
	}
	if os.Getenv("TRADESIFT_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s not installed (%s); apt-get install it", path, why)
	}
	t.Skipf("%s not installed (%s)", path, why)
}

// StartDNSMasq starts dnsmasq serving zone on a free loopback UDP and TCP
// port, and stops it when the test ends.
func StartDNSMasq(t testing.TB, zone Zone) *Server {
	t.Helper()
	RequireTool(t, DNSMasq, "apt-get install dnsmasq-base")
	dir := t.TempDir()
	conf := filepath.Join(dir, "dnsmasq.conf")
	var lastErr error
	for try := 0; try < 5; try++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(conf, []byte(Config(port, zone)), 0o644); err != nil {
			t.Fatal(err)
		}
		s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), dir: dir, log: &syncBuffer{}, done: make(chan struct{})}
		s.cmd = exec.Command(DNSMasq, "-k", "-C", conf, "--log-facility=-", "--pid-file=")
		s.cmd.Stdout = s.log
		s.cmd.Stderr = s.log
		if err := s.cmd.Start(); err != nil {
			t.Fatalf("start dnsmasq: %v", err)
		}
		go func() { _ = s.cmd.Wait(); close(s.done) }()
		if err := s.waitReady(5 * time.Second); err != nil {
			s.Stop()
			lastErr = fmt.Errorf("%v\n%s", err, s.log.String())
			continue // port taken between freePort and bind: try another
		}
		t.Cleanup(s.Stop)
		return s
	}
	t.Fatalf("dnsmasq did not start: %v", lastErr)
	return nil
}

// Config renders the dnsmasq configuration for zone on port.
func Config(port int, zone Zone) string {
	ttl := zone.TTL
	if ttl == 0 {
		ttl = 300
	}
	var b strings.Builder
	fmt.Fprintf(&b, "port=%d\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\n", port)
	// Answer everything locally: unknown names are NXDOMAIN, not REFUSED.
	b.WriteString("local=/#/\n")
	fmt.Fprintf(&b, "local-ttl=%d\n", ttl)
	b.WriteString("cache-size=0\n")
	for _, name := range sortedKeys(zone.TXT) {
		for _, v := range zone.TXT[name] {
			var line strings.Builder
			fmt.Fprintf(&line, "txt-record=%s", name)
			for _, part := range split255(v) {
				fmt.Fprintf(&line, ",%s", quote(part))
			}
			if line.Len() > MaxConfigLine {
				panic(fmt.Sprintf("dnstest: TXT record of %s too long for a dnsmasq config line (%d > %d chars)", name, line.Len(), MaxConfigLine))
			}
			b.WriteString(line.String())
			b.WriteString("\n")
		}
	}
	for _, name := range sortedKeys(zone.A) {
		fmt.Fprintf(&b, "host-record=%s,%s\n", name, strings.Join(zone.A[name], ","))
	}
	for _, name := range sortedKeys(zone.MX) {
		for _, v := range zone.MX[name] {
			var pref int
			var target string
			if _, err := fmt.Sscanf(v, "%d %s", &pref, &target); err != nil {
				panic("dnstest: MX value must be \"pref target\": " + v)
			}
			fmt.Fprintf(&b, "mx-host=%s,%s,%d\n", name, target, pref)
		}
	}
	return b.String()
}

// quote writes a TXT character-string for dnsmasq: in double quotes, with
// backslash and quote escaped; an empty string stays an empty string.
func quote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	return `"` + s + `"`
}

// split255 cuts a TXT record into character-strings of at most 255 bytes.
func split255(s string) []string {
	if s == "" {
		return []string{""}
	}
	var out []string
	for len(s) > 255 {
		out = append(out, s[:255])
		s = s[255:]
	}
	return append(out, s)
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func freePort() (int, error) {
	// A UDP and a TCP socket on the same port must be free.
	for i := 0; i < 20; i++ {
		l, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.LocalAddr().(*net.UDPAddr).Port
		tl, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err != nil {
			continue
		}
		tl.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no free loopback port")
}

// waitReady polls the TCP listener (dnsmasq opens UDP and TCP together).
func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("dnsmasq exited")
		default:
		}
		c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("dnsmasq not listening on %s after %v", s.Addr, limit)
}

// Stop ends the server and waits for it; later queries get no answer
// (ICMP port unreachable on loopback). Safe to call twice.
func (s *Server) Stop() {
	s.once.Do(func() {
		if s.cmd.Process != nil {
			_ = s.cmd.Process.Kill()
		}
		<-s.done
	})
}

// Log returns what dnsmasq printed so far.
func (s *Server) Log() string { return s.log.String() }

// syncBuffer is a bytes.Buffer dnsmasq's output goes to while tests read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
