package e2e

import (
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// loadResult is what a load run learned: which messages got a 250.
type loadResult struct {
	acked   []bool
	nacked  atomic.Int64
	refused atomic.Int64 // SMTP 4xx/5xx replies
	neterr  atomic.Int64 // connection refused, reset, closed
}

func newLoadResult(n int) *loadResult { return &loadResult{acked: make([]bool, n)} }

// pushLoad sends msgs over `sessions` concurrent sessions, each message
// once (no retry: a message either got its 250 or it did not), counting
// into res as it goes. stop, when closed, makes senders give up on the
// rest.
func pushLoad(addr string, msgs [][]byte, sessions int, rcpt string, stop <-chan struct{}, res *loadResult) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < sessions; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s *mtatest.Sender
			for {
				i := int(next.Add(1) - 1)
				if i >= len(msgs) {
					break
				}
				select {
				case <-stop:
					res.neterr.Add(1)
					continue
				default:
				}
				if s == nil {
					var err error
					if s, err = mtatest.DialSender(addr); err != nil {
						res.neterr.Add(1)
						s = nil
						continue
					}
				}
				err := s.Send("buyer@example.org", []string{rcpt}, msgs[i])
				switch {
				case err == nil:
					res.acked[i] = true
					res.nacked.Add(1)
				case mtatest.IsTemporary(err) || mtatest.IsPermanent(err):
					res.refused.Add(1)
				default:
					res.neterr.Add(1)
					s.Close()
					s = nil
				}
			}
			if s != nil {
				s.Close()
			}
		}()
	}
	wg.Wait()
}

// checkDelivered wants every acked message among ids (by Message-ID) and
// logs duplicates; it returns how many acked ones are missing.
func checkDelivered(t *testing.T, tag string, res *loadResult, ids map[string]int) int {
	t.Helper()
	missing, dups, extra := 0, 0, 0
	for i, ok := range res.acked {
		n := ids[MessageIDFor(tag, i)]
		switch {
		case ok && n == 0:
			if missing++; missing <= 20 {
				t.Errorf("message %d got 250 but was not delivered", i)
			}
		case n > 1:
			dups += n - 1
		case !ok && n > 0:
			extra++ // on disk, but the client never saw the 250
		}
	}
	t.Logf("acked %d, delivered %d distinct ids, missing %d, duplicate deliveries %d, delivered without 250 %d",
		res.nacked.Load(), len(ids), missing, dups, extra)
	return missing
}

// TestCrashKill9Maildir: 1,000 messages from 20 concurrent senders into a
// relay with the Maildir downstream; kill -9 once 500 have their 250,
// restart: every acknowledged message is delivered.
func TestCrashKill9Maildir(t *testing.T) {
	const total, sessions, killAt = 1000, 20, 500
	tag := "crash-maildir"
	msgs := corpusMessages(t, tag, total, 0)
	mail := filepath.Join(t.TempDir(), "mail")
	ts := startRelay(t, relayConfig{Downstream: "maildir:" + mail})
	rcpt := "sales@" + Domain

	stop := make(chan struct{})
	res := newLoadResult(total)
	done := make(chan struct{})
	go func() { pushLoad(ts.Addr, msgs, sessions, rcpt, stop, res); close(done) }()
	deadline := time.Now().Add(60 * time.Second)
	for res.nacked.Load() < killAt && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	ts.Kill()
	inFlight := mtatest.CountMaildirs(mail)
	close(stop)
	<-done
	t.Logf("killed with %d in the Maildir; %d acked, %d refused, %d network errors",
		inFlight, res.nacked.Load(), res.refused.Load(), res.neterr.Load())
	if res.nacked.Load() < killAt {
		t.Fatalf("only %d messages acked before the kill", res.nacked.Load())
	}
	ts.Restart()
	waitMaildir(t, mail, int(res.nacked.Load()), 60*time.Second)
	time.Sleep(time.Second) // late duplicates
	out, err := mtatest.ReadMaildirs(mail)
	if err != nil {
		t.Fatal(err)
	}
	var datas [][]byte
	for _, m := range out {
		datas = append(datas, m.Data)
	}
	checkDelivered(t, tag, res, messageIDs(datas))
}

// TestCrashKill9Spooled: downstream (smtp-sink) down, 800 messages from
// 20 senders; kill -9 once at least 600 are acknowledged — all of them
// sitting in the spool — then restart the relay and the sink: every
// acknowledged message arrives.
func TestCrashKill9Spooled(t *testing.T) {
	const total, sessions, killAt = 800, 20, 600
	tag := "crash-spooled"
	msgs := corpusMessages(t, tag, total, 0)
	sink := mtatest.StartSMTPSink(t, mtatest.SinkOptions{Dump: true})
	sink.Stop()
	ts := startRelay(t, relayConfig{Downstream: "smtp://" + sink.Addr})

	stop := make(chan struct{})
	res := newLoadResult(total)
	done := make(chan struct{})
	go func() { pushLoad(ts.Addr, msgs, sessions, "sales@"+Domain, stop, res); close(done) }()
	deadline := time.Now().Add(90 * time.Second)
	for res.nacked.Load() < killAt && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	ts.Kill()
	close(stop)
	<-done
	t.Logf("killed with %d acked and spooled (downstream down), %d refused, %d network errors",
		res.nacked.Load(), res.refused.Load(), res.neterr.Load())
	if res.nacked.Load() < killAt {
		t.Fatalf("only %d messages acked before the kill", res.nacked.Load())
	}
	ts.Restart()
	sink.Start()
	n := int(res.nacked.Load())
	if got := sink.WaitCount(n, 90*time.Second); got < n {
		t.Errorf("sink has %d of %d after 90s", got, n)
	}
	time.Sleep(time.Second)
	ms, err := sink.Messages()
	if err != nil {
		t.Fatal(err)
	}
	var datas [][]byte
	for _, m := range ms {
		datas = append(datas, m.Data)
	}
	checkDelivered(t, tag, res, messageIDs(datas))
}
