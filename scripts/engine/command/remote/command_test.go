package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi-go-provider/infer"
	"golang.org/x/crypto/ssh"
)

func commandServer(t *testing.T, acceptEnv bool, exec func(string, map[string]string, ssh.Channel) uint32) (*testServer, Connection) {
	t.Helper()
	client, key := newKey(t)
	srv := startServer(t, client.PublicKey())
	srv.acceptEnv = acceptEnv
	srv.exec = exec
	return srv, srv.connection(key)
}

// A server that refuses setenv fails the command with upstream's message and
// error-level advice; the command is not run.
func TestEnvironmentRefusedFailsTheCommand(t *testing.T) {
	logs := captureLogs(t)
	srv, conn := commandServer(t, false, nil)
	in := CommandInputs{Connection: conn, Create: ptr("echo hi"), Environment: &map[string]string{"FOO": "bar"}}
	_, err := (&Command{}).Create(context.Background(), infer.CreateRequest[CommandInputs]{Name: "c", Inputs: in})
	if err == nil || err.Error() != `could not set environment variable "FOO": ssh: setenv failed` {
		t.Fatalf("error = %v", err)
	}
	if _, cmds, _ := srv.received(); len(cmds) != 0 {
		t.Errorf("the command ran: %q", cmds)
	}
	diags := logs.diagnostics()
	if len(diags) != 1 || !strings.HasPrefix(diags[0], "ERROR Unable to set 'FOO'. This only works if your SSH server is configured to accept") {
		t.Errorf("diagnostics = %q", diags)
	}
}

// The local sshd has no AcceptEnv: the same refusal from OpenSSH.
func TestEnvironmentRefusedByLocalSSHD(t *testing.T) {
	captureLogs(t)
	sshd := requireSSHD(t)
	in := CommandInputs{Connection: sshd.connection(), Create: ptr("true"), Environment: &map[string]string{"FOO": "bar"}}
	_, err := (&Command{}).Create(context.Background(), infer.CreateRequest[CommandInputs]{Name: "c", Inputs: in})
	if err == nil || err.Error() != `could not set environment variable "FOO": ssh: setenv failed` {
		t.Fatalf("error = %v", err)
	}
}

// The previous output goes to PULUMI_COMMAND_STDOUT/_STDERR only when non-empty;
// a refusal is a warning and the command still runs.
func TestPreviousOutputInEnvironment(t *testing.T) {
	logs := captureLogs(t)
	srv, conn := commandServer(t, false, func(_ string, _ map[string]string, ch ssh.Channel) uint32 {
		_, _ = io.WriteString(ch, "new\n")
		return 0
	})
	in := CommandInputs{Connection: conn, Create: ptr("make"), Update: ptr("remake")}
	state := CommandOutputs{CommandInputs: in, Stdout: "old", Stderr: ""}
	resp, err := (&Command{}).Update(context.Background(), infer.UpdateRequest[CommandInputs, CommandOutputs]{
		ID: "c", Inputs: in, State: state,
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Output.Stdout != "new" {
		t.Errorf("stdout = %q", resp.Output.Stdout)
	}
	env, cmds, _ := srv.received()
	if !reflect.DeepEqual(env, []string{"PULUMI_COMMAND_STDOUT"}) || !reflect.DeepEqual(cmds, []string{"remake"}) {
		t.Errorf("env requests %q, commands %q", env, cmds)
	}
	diags := logs.diagnostics()
	if len(diags) != 1 || !strings.HasPrefix(diags[0], "WARN Unable to set 'PULUMI_COMMAND_STDOUT'.") {
		t.Errorf("diagnostics = %q", diags)
	}

	// addPreviousOutputInEnv false: nothing is sent.
	in.AddPreviousOutputInEnv = ptr(false)
	srv2, conn2 := commandServer(t, true, nil)
	in.Connection = conn2
	if _, err := (&Command{}).Update(context.Background(), infer.UpdateRequest[CommandInputs, CommandOutputs]{
		ID: "c", Inputs: in, State: state,
	}); err != nil {
		t.Fatal(err)
	}
	if env, _, _ := srv2.received(); len(env) != 0 {
		t.Errorf("env requests with addPreviousOutputInEnv false: %q", env)
	}
}

// Output lines are logged as status messages, the last one without a trailing
// newline too; logging selects the streams; stdout/stderr lose one newline.
func TestOutputLoggingAndCapture(t *testing.T) {
	for _, tc := range []struct {
		logging Logging
		want    []string
	}{
		{"", []string{"out 1", "err 1", "out 2 (no newline)"}},
		{"stdoutAndStderr", []string{"out 1", "err 1", "out 2 (no newline)"}},
		{"stdout", []string{"out 1", "out 2 (no newline)"}},
		{"stderr", []string{"err 1"}},
		{"none", nil},
	} {
		t.Run(fmt.Sprintf("logging %q", tc.logging), func(t *testing.T) {
			logs := captureLogs(t)
			// Both streams feed one line splitter (as upstream), so a partial line of one
			// would join a line of the other: stderr is written whole, first, then stdout.
			_, conn := commandServer(t, false, func(_ string, _ map[string]string, ch ssh.Channel) uint32 {
				_, _ = io.WriteString(ch.Stderr(), "err 1\n")
				time.Sleep(100 * time.Millisecond)
				_, _ = io.WriteString(ch, "out 1\n")
				_, _ = io.WriteString(ch, "out 2 (no newline)")
				return 0
			})
			in := CommandInputs{Connection: conn, Create: ptr("x")}
			if tc.logging != "" {
				in.Logging = &tc.logging
			}
			resp, err := (&Command{}).Create(context.Background(), infer.CreateRequest[CommandInputs]{Name: "c", Inputs: in})
			if err != nil {
				t.Fatal(err)
			}
			// stdout and stderr arrive on separate channels: their relative order varies.
			got := logs.status()
			sort.Strings(got)
			sort.Strings(tc.want)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("logged %q, want %q", got, tc.want)
			}
			if resp.Output.Stdout != "out 1\nout 2 (no newline)" || resp.Output.Stderr != "err 1" {
				t.Errorf("stdout %q, stderr %q", resp.Output.Stdout, resp.Output.Stderr)
			}
			if !strings.HasPrefix(resp.ID, "c") || len(resp.ID) != len("c")+8 {
				t.Errorf("ID = %q, want the name and 8 hex digits", resp.ID)
			}
		})
	}
}

// A failing command reports the cause, the command and the interleaved output.
func TestFailureMessage(t *testing.T) {
	captureLogs(t)
	sshd := requireSSHD(t)
	in := CommandInputs{Connection: sshd.connection(), Create: ptr("echo one; echo two; exit 3")}
	_, err := (&Command{}).Create(context.Background(), infer.CreateRequest[CommandInputs]{Name: "c", Inputs: in})
	var exit *ssh.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus() != 3 {
		t.Fatalf("error = %v", err)
	}
	want := "Process exited with status 3: running \"echo one; echo two; exit 3\":\none\ntwo\n"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err.Error(), want)
	}
}

// Upstream's line scanner stops at a line over 64 KiB and the command hangs;
// the stand-in logs the line whole (a documented difference) and finishes.
func TestLongOutputLineIsLoggedWhole(t *testing.T) {
	logs := captureLogs(t)
	long := strings.Repeat("x", 100*1024)
	_, conn := commandServer(t, false, func(_ string, _ map[string]string, ch ssh.Channel) uint32 {
		_, _ = io.WriteString(ch, long+"\nafter\n")
		return 0
	})
	resp, err := (&Command{}).Create(context.Background(), infer.CreateRequest[CommandInputs]{
		Name: "c", Inputs: CommandInputs{Connection: conn, Create: ptr("x")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := logs.status(); len(got) != 2 || got[0] != long || got[1] != "after" {
		t.Errorf("logged %d lines", len(got))
	}
	if resp.Output.Stdout != long+"\nafter" {
		t.Error("stdout differs")
	}
}
