// Package run holds what the local and remote commands share: the logging
// mode, output capture and the error a failed command reports.
package run

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Output environment variables handed to update and delete commands.
const (
	EnvStdout = "PULUMI_COMMAND_STDOUT"
	EnvStderr = "PULUMI_COMMAND_STDERR"
)

// Mode says which streams are echoed to the Pulumi engine while a command runs
// ("stdout", "stderr", "stdoutAndStderr", "none"; unset is both); both are
// always captured.
type Mode string

// LoggingValues are the modes as the schema's enum values of T, the Logging type of the
// local and remote packages (each package's schema has its own enum type, as upstream).
func LoggingValues[T ~string]() []infer.EnumValue[T] {
	return []infer.EnumValue[T]{
		{Name: "Stdout", Value: T("stdout"), Description: "Capture stdout in logs but not stderr"},
		{Name: "Stderr", Value: T("stderr"), Description: "Capture stderr in logs but not stdout"},
		{Name: "StdoutAndStderr", Value: T("stdoutAndStderr"), Description: "Capture stdout and stderr in logs"},
		{Name: "None", Value: T("none"), Description: "Capture no logs"},
	}
}

// ModeOf is the mode an optional Logging input asks for (unset: both streams).
func ModeOf[T ~string](logging *T) Mode {
	if logging == nil {
		return ""
	}
	return Mode(*logging)
}

// Create is a command resource's create (local or remote), as upstream: a new ID, and the
// state after create runs (in a preview, or without a create command, nothing runs). exec
// runs a command and returns the state with its outputs.
func Create[S any](name string, dryRun bool, state S, create string, exec func(string) (S, error)) (infer.CreateResponse[S], error) {
	id := ResourceID(name)
	if dryRun || create == "" {
		return infer.CreateResponse[S]{ID: id, Output: state}, nil
	}
	out, err := exec(create)
	if err != nil {
		return infer.CreateResponse[S]{}, err
	}
	return infer.CreateResponse[S]{ID: id, Output: out}, nil
}

// Update is a command resource's update: update runs, or create again when update is unset;
// on failure the state keeps the previous outputs.
func Update[S any](dryRun bool, state S, update, create string, exec func(string) (S, error)) (infer.UpdateResponse[S], error) {
	cmd := update
	if cmd == "" {
		cmd = create
	}
	if dryRun || cmd == "" {
		return infer.UpdateResponse[S]{Output: state}, nil
	}
	out, err := exec(cmd)
	if err != nil {
		return infer.UpdateResponse[S]{Output: state}, err
	}
	return infer.UpdateResponse[S]{Output: out}, nil
}

// ResourceID is the ID of a new command resource: its name and a random suffix, as upstream.
func ResourceID(name string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return name + hex.EncodeToString(b)
}

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

// Capture collects a command's stdout, stderr and both interleaved (for the
// failure message), and echoes the logged streams to the engine line by line
// as status messages, as upstream does: both streams feed one line splitter,
// and a last line without a trailing newline is logged when the command ends.
type Capture struct {
	ctx      context.Context
	mode     Mode
	mu       sync.Mutex
	stdout   bytes.Buffer
	stderr   bytes.Buffer
	combined bytes.Buffer
	pending  []byte
}

// NewCapture returns a Capture logging through the provider logger of ctx.
func NewCapture(ctx context.Context, mode Mode) *Capture {
	return &Capture{ctx: ctx, mode: mode}
}

// Stdout is the writer for the command's standard output.
func (c *Capture) Stdout() io.Writer { return stream{c, "stdout", &c.stdout} }

// Stderr is the writer for the command's standard error.
func (c *Capture) Stderr() io.Writer { return stream{c, "stderr", &c.stderr} }

// Finish logs a last unterminated line; call it once the command has ended.
func (c *Capture) Finish() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) > 0 {
		p.GetLogger(c.ctx).InfoStatus(string(c.pending))
		c.pending = nil
	}
}

// Result returns stdout and stderr with one trailing newline removed.
func (c *Capture) Result() (string, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.TrimSuffix(c.stdout.String(), "\n"), strings.TrimSuffix(c.stderr.String(), "\n")
}

// Combined is stdout and stderr as they arrived.
func (c *Capture) Combined() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.combined.String()
}

type stream struct {
	c    *Capture
	name string
	buf  *bytes.Buffer
}

func (s stream) Write(b []byte) (int, error) {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	s.buf.Write(b)
	c.combined.Write(b)
	if !c.mode.logs(s.name) {
		return len(b), nil
	}
	c.pending = append(c.pending, b...)
	for {
		i := bytes.IndexByte(c.pending, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSuffix(string(c.pending[:i]), "\r")
		c.pending = c.pending[i+1:]
		p.GetLogger(c.ctx).InfoStatus(line)
	}
	return len(b), nil
}

// Failure builds the error reported when a command fails, as upstream:
// the cause, the command and its interleaved output.
func Failure(err error, command, combined string) error {
	return fmt.Errorf("%w: running %q:\n%s", err, command, combined)
}
