// Command tradesift is an inbound SMTP relay for export sales teams: it
// classifies buyer inquiries, tags them with headers, and queues drafted
// replies for the reps. The code lives in the filter packages; this is the
// entry point only.
package main

import (
	"os"

	"github.com/tradesift/tradesift/filter/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
