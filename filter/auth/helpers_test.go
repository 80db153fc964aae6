package auth

import (
	"bufio"
	"bytes"

	"github.com/emersion/go-msgauth/dmarc"

	"github.com/tradesift/tradesift/filter/dnsr"
)

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

func alignment(s string) dmarc.AlignmentMode { return dmarc.AlignmentMode(s) }

func newResolverNoCache(addr string) (*dnsr.Resolver, error) {
	return dnsr.New(addr, dnsr.Options{CacheSize: -1})
}
