package deliver

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/spool"
)

// kill -9 while messages are being spooled and delivered: a child process
// stores messages (printing each after Store returned, as the SMTP server
// would answer 250) and delivers them to a server in this process; it is
// killed; a new queue over the same spool delivers the rest. Every
// reported message must arrive; duplicates are allowed (at least once) and
// counted.
func TestCrashResume(t *testing.T) {
	if env := os.Getenv("TRADESIFT_DELIVER_CRASH_CHILD"); env != "" {
		dir, addr, _ := strings.Cut(env, ",")
		deliverCrashChild(dir, addr)
		return
	}
	srv := startServer(t, "tcp", "127.0.0.1:0", false, &testServer{})
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashResume$")
	cmd.Env = append(os.Environ(), "TRADESIFT_DELIVER_CRASH_CHILD="+dir+","+srv.addr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	guard := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer guard.Stop()
	reported := map[string]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "stored "); ok {
			reported[n] = true
			if len(reported) == 300 {
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}
	}
	cmd.Wait()
	if len(reported) < 300 {
		t.Fatalf("child reported only %d messages", len(reported))
	}
	before := len(srv.messages())

	_, sp := testQueue(t, dir, &SMTP{Network: "tcp", Addr: srv.addr, Timeout: 5 * time.Second}, Options{Workers: 8})
	waitFor(t, "the spool to drain", 30*time.Second, spoolEmpty(sp))

	re := regexp.MustCompile(`Message-ID: <(\d+)@crash.test>`)
	got := map[string]int{}
	for _, m := range srv.messages() {
		if sm := re.FindSubmatch(m.data); sm != nil {
			got[string(sm[1])]++
		}
	}
	dups := 0
	for n := range reported {
		if got[n] == 0 {
			t.Errorf("message %s was stored (250) but never delivered", n)
		}
		if got[n] > 1 {
			dups += got[n] - 1
		}
	}
	t.Logf("%d stored before the kill, %d delivered before it, %d delivered in all, %d duplicates", len(reported), before, len(srv.messages()), dups)
}

func deliverCrashChild(dir, addr string) {
	sp, err := spool.Open(dir)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	q := New(sp, &SMTP{Network: "tcp", Addr: addr, Timeout: 5 * time.Second}, Options{
		Workers: 8, MinBackoff: 50 * time.Millisecond, RestartDelay: 10 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	q.Start(context.Background())
	w := bufio.NewWriter(os.Stdout)
	for i := 0; i < 100000; i++ {
		body := fmt.Sprintf("Message-ID: <%d@crash.test>\r\nSubject: crash\r\n\r\n%s\r\n", i, bytes.Repeat([]byte("z"), 5000))
		id, err := sp.Store(spool.Envelope{From: "a@example.org", Rcpts: []string{"x@company.test"}}, strings.NewReader(body))
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		q.Kick(id)
		fmt.Fprintf(w, "stored %d\n", i)
		w.Flush()
	}
	os.Exit(0)
}
