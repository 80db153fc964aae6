package auth

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/authres"

	"github.com/tradesift/tradesift/filter/internal/dnstest"
)

// realmailDir holds real signed messages with the DNS records that verify
// them and the result expected per signature (README.md there).
const realmailDir = "/work/shared/realmail/dkim"

// TestRealMail verifies the real messages against their historical keys
// served by dnsmasq, and compares every signature with the expectation of
// MANIFEST.tsv under our policy:
//   - an rsa-sha256 or ed25519-sha256 signature the reference verifier
//     passed: pass;
//   - rsa-sha1: permerror (RFC 8301 forbids verifying it; go-msgauth
//     refuses), whatever Mail::DKIM said;
//   - no key published: permerror (NXDOMAIN is a permanent "no key");
//   - a body changed after signing (body hash mismatch, sha256, v=1):
//     fail;
//   - a file with no DKIM-Signature (DomainKeys only): none.
//
// stalwart-mail-auth/dkim/005.txt is skipped: its x= expired in 2022.
func TestRealMail(t *testing.T) {
	manifest, err := os.ReadFile(filepath.Join(realmailDir, "MANIFEST.tsv"))
	if err != nil {
		t.Skipf("no real mail corpus: %v", err)
	}
	zone := dnstest.Zone{TXT: map[string][]string{}}
	recs, err := os.ReadFile(filepath.Join(realmailDir, "dns-records.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(recs), "\n") {
		name, value, ok := strings.Cut(line, "\t")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		switch {
		case value == "NXDOMAIN":
			continue // every unknown name is NXDOMAIN
		case strings.HasPrefix(value, "~~"):
			continue // DNS failures: not reproduced here
		case value == `""`:
			value = ""
		}
		zone.TXT[name] = append(zone.TXT[name], value)
	}
	srv := dnstest.StartDNSMasq(t, zone)
	c := newChecker(t, srv.Addr, 5*time.Second)

	type row struct {
		file, alg, key, bh, observed string
		idx                          int
		d                            string
	}
	byFile := map[string][]row{}
	var files []string
	for i, line := range strings.Split(strings.TrimSpace(string(manifest)), "\n") {
		f := strings.Split(line, "\t")
		if i == 0 || len(f) < 10 {
			continue
		}
		idx, _ := strconv.Atoi(f[1])
		if f[1] == "" {
			idx = -1
		}
		r := row{file: f[0], idx: idx, d: f[2], alg: f[4], key: f[6], bh: f[7], observed: f[9]}
		if _, ok := byFile[r.file]; !ok {
			files = append(files, r.file)
		}
		byFile[r.file] = append(byFile[r.file], r)
	}

	checked, agree := 0, 0
	for _, file := range files {
		if file == "stalwart-mail-auth/dkim/005.txt" {
			continue
		}
		msg := readRealMessage(t, filepath.Join(realmailDir, file), strings.HasPrefix(file, "stalwart-mail-auth/"))
		// A message with no body may lack the blank line ending the header.
		h, err := textproto.ReadHeader(bufioReader(append(append([]byte(nil), msg...), "\r\n\r\n"...)))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		out := c.checkDKIM(context.Background(), bytes.NewReader(msg), signatureDomains(h))
		for _, r := range byFile[file] {
			want := expectation(r.alg, r.key, r.bh, r.observed)
			if r.idx < 0 {
				want = "none"
			}
			if want == "" {
				continue // no policy stated for this row
			}
			checked++
			var got string
			if r.idx < 0 {
				got = out.value
			} else if r.idx < len(out.results) {
				g := out.results[r.idx].(*authres.GenericResult)
				if !strings.EqualFold(g.Params["header.d"], r.d) {
					t.Errorf("%s sig %d: d=%s, manifest says %s", file, r.idx, g.Params["header.d"], r.d)
				}
				got = string(g.Value) + " (" + g.Params["reason"] + ")"
			}
			if strings.HasPrefix(got, want) {
				agree++
			} else {
				t.Errorf("%s sig %d (%s, d=%s): got %s, want %s", file, r.idx, r.alg, r.d, got, want)
			}
		}
	}
	t.Logf("%d signatures checked, %d agree with MANIFEST.tsv under our policy", checked, agree)
	if checked < 60 {
		t.Errorf("only %d signatures checked", checked)
	}
}

func expectation(alg, key, bh, observed string) string {
	switch {
	case strings.HasPrefix(key, "NOT INCLUDED"):
		return "permerror"
	case strings.HasSuffix(alg, "-sha1"):
		return "permerror"
	case key != "in dns-records.txt":
		return ""
	case strings.HasSuffix(alg, "-sha256") && strings.HasPrefix(observed, "pass"):
		return "pass"
	case strings.HasSuffix(alg, "-sha256") && bh == "mismatch" && strings.Contains(observed, "body hash mismatch"):
		return "fail"
	}
	return ""
}

// readRealMessage reads a corpus file in SMTP wire form (CRLF); the
// stalwart files start with DNS records and a blank line.
func readRealMessage(t *testing.T, path string, stalwart bool) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if stalwart {
		if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
			b = b[i+2:]
		}
	}
	if bytes.Contains(b, []byte("\r\n")) {
		return b
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out.Write(sc.Bytes())
		out.WriteString("\r\n")
	}
	return out.Bytes()
}
