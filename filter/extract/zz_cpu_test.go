package extract

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/decode"
)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestCPUPerOp(t *testing.T) {
	if os.Getenv("EXTRACT_CPU") == "" {
		t.Skip()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	x := exampleExtractor(t)
	m := tenKB()
	for i := 0; i < 50; i++ {
		x.Extract(m)
	}
	const n = 2000
	c0, w0 := threadCPU(), time.Now()
	_ = w0
	for i := 0; i < n; i++ {
		x.Extract(m)
	}
	fmt.Printf("10KB: cpu %v/op wall %v/op\n", (threadCPU()-c0)/n, time.Since(w0)/n)
	m = oneInquiry10KB()
	c0, w0 = threadCPU(), time.Now()
	for i := 0; i < n; i++ {
		x.Extract(m)
	}
	fmt.Printf("one inquiry 10KB: cpu %v/op wall %v/op\n", (threadCPU()-c0)/n, time.Since(w0)/n)
	files, _ := filepath.Glob(filepath.Join(corpusDir(t), "*.eml"))
	var ms []*decode.Message
	for _, f := range files {
		ms = append(ms, parseFile(t, f))
	}
	c0, w0 = threadCPU(), time.Now()
	for i := 0; i < n; i++ {
		x.Extract(ms[i%len(ms)])
	}
	fmt.Printf("corpus: cpu %v/op wall %v/op\n", (threadCPU()-c0)/n, time.Since(w0)/n)
}
