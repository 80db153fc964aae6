package imapdraft

import (
	"testing"

	"github.com/emersion/go-imap/v2/imapclient"
)

// For the daemon-level test in package imapdraft_test: the test Dovecot
// and its read-back helper.

func StartTestDovecot(t *testing.T) (addr string, fetch func(user, pass, folder string) []*imapclient.FetchMessageBuffer) {
	d := startDovecot(t)
	return d.addr, func(user, pass, folder string) []*imapclient.FetchMessageBuffer {
		return fetchDrafts(t, d, user, pass, folder)
	}
}

const TestMaster, TestMasterPassword = testMaster, testMasterPassword
