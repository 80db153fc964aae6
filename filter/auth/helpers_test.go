package auth

import (
	"bufio"
	"bytes"

	"github.com/emersion/go-msgauth/dmarc"
)

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

func alignment(s string) dmarc.AlignmentMode { return dmarc.AlignmentMode(s) }
