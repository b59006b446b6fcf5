package canary

import (
	"flag"
	"fmt"
	"io"
	"os"
)

// Usage is the command line of `caddy slipway-split-judge`.
const Usage = "--end <stats file> [--start <stats file>|-] --side <upstream> --label <text> " +
	"[--max-error-rate <%>] [--min-requests <n>] [--max-p95-ms <ms>]"

// Exit statuses of Main.
const (
	// Passed: the step met the analysis; the verdict is on stdout.
	Passed = 0
	// Failed: the step did not; the verdict is on stdout.
	Failed = 1
	// Unjudged: the command line or a stats file is wrong; why is on stderr.
	Unjudged = 2
)

// Main judges one step from the command line (`args` without the command's name): the side
// `--side` between the counters of `--start` (a file, `-` for stdin, or absent: from zero)
// and `--end`. It prints the verdict on stdout and returns Passed or Failed, or prints why it
// cannot judge on stderr and returns Unjudged.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("slipway-split-judge", flag.ContinueOnError)
	flags.SetOutput(stderr)
	start := flags.String("start", "", "the counters at the step's start (a file, or - for stdin); absent: from zero")
	end := flags.String("end", "", "the counters at the step's end (the stats file)")
	side := flags.String("side", "", "the new release's side: the split file's first field")
	label := flags.String("label", "", "the step's name in the verdict, e.g. 'canary 10%'")
	maxErrorRate := flags.Float64("max-error-rate", 1, "most 5xx answers, in % of the requests")
	minRequests := flags.Int64("min-requests", 20, "fewest requests to judge the step")
	maxP95Ms := flags.Float64("max-p95-ms", 0, "slowest p95 in ms; 0: not judged")
	flags.Usage = func() { fmt.Fprintf(stderr, "usage: caddy slipway-split-judge %s\n", Usage) }
	if err := flags.Parse(args); err != nil {
		return Unjudged
	}
	unjudged := func(format string, values ...any) int {
		fmt.Fprintf(stderr, "slipway-split-judge: "+format+"\n", values...)
		return Unjudged
	}
	if flags.NArg() > 0 {
		return unjudged("unexpected argument %q; usage: %s", flags.Arg(0), Usage)
	}
	if *end == "" || *side == "" || *label == "" {
		return unjudged("--end, --side and --label are required; usage: %s", Usage)
	}
	if *maxErrorRate < 0 || *maxErrorRate > 100 || *minRequests < 0 || *maxP95Ms < 0 {
		return unjudged("--max-error-rate is 0 to 100, --min-requests and --max-p95-ms at least 0")
	}
	read := func(name string) (*Counters, error) {
		var data []byte
		var err error
		if name == "-" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(name)
		}
		if err != nil {
			return nil, err
		}
		counters, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		return counters, nil
	}
	var from *Counters
	if *start != "" {
		var err error
		if from, err = read(*start); err != nil {
			return unjudged("%v", err)
		}
	}
	to, err := read(*end)
	if err != nil {
		return unjudged("%v", err)
	}
	verdict := Judge(*label, StepFigures(from, to, *side), Analysis{
		MaxErrorRate: *maxErrorRate,
		MaxP95Ms:     *maxP95Ms,
		MinRequests:  *minRequests,
	})
	fmt.Fprintln(stdout, verdict.Message)
	if verdict.Pass {
		return Passed
	}
	return Failed
}
