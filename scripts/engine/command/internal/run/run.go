// Package run holds what the local and remote commands share: the logging
// mode, output capture and the error a failed command reports.
package run

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	p "github.com/pulumi/pulumi-go-provider"
)

// Output environment variables handed to update and delete commands.
const (
	EnvStdout = "PULUMI_COMMAND_STDOUT"
	EnvStderr = "PULUMI_COMMAND_STDERR"
)

// Mode says which streams are echoed to the Pulumi engine while a command runs
// ("stdout", "stderr", "stdoutAndStderr", "none"); both are always captured.
type Mode string

func (m Mode) logs(stream string) bool {
	switch m {
	case "", "stdoutAndStderr":
		return true
	case "none":
		return false
	default:
		return string(m) == stream
	}
}

// Capture collects a command's stdout and stderr and echoes complete lines to
// the engine as status messages, as the upstream provider does.
type Capture struct {
	ctx    context.Context
	mode   Mode
	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
}

// NewCapture returns a Capture logging through the provider logger of ctx.
func NewCapture(ctx context.Context, mode Mode) *Capture {
	return &Capture{ctx: ctx, mode: mode}
}

// Stdout is the writer for the command's standard output.
func (c *Capture) Stdout() io.Writer { return &lineWriter{c: c, stream: "stdout", buf: &c.stdout} }

// Stderr is the writer for the command's standard error.
func (c *Capture) Stderr() io.Writer { return &lineWriter{c: c, stream: "stderr", buf: &c.stderr} }

// Result returns stdout and stderr with one trailing newline removed.
func (c *Capture) Result() (string, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.TrimSuffix(c.stdout.String(), "\n"), strings.TrimSuffix(c.stderr.String(), "\n")
}

type lineWriter struct {
	c       *Capture
	stream  string
	buf     *bytes.Buffer
	pending []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.c.mu.Lock()
	w.buf.Write(b)
	w.c.mu.Unlock()
	if !w.c.mode.logs(w.stream) {
		return len(b), nil
	}
	w.pending = append(w.pending, b...)
	for {
		i := bytes.IndexByte(w.pending, '\n')
		if i < 0 {
			break
		}
		line := string(w.pending[:i])
		w.pending = w.pending[i+1:]
		p.GetLogger(w.c.ctx).InfoStatus(line)
	}
	return len(b), nil
}

// Failure builds the error reported when a command fails.
func Failure(err error, command, stdout, stderr string) error {
	return fmt.Errorf("%w: running %q:\nStdout:\n%s\nStderr:\n%s", err, command, stdout, stderr)
}
