package remote

import (
	"context"
	"fmt"
	"sort"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"slipway.local/engine/command/internal/run"
)

// Logging selects the streams echoed to the engine while a command runs.
type Logging string

// Values lists the allowed Logging values.
func (Logging) Values() []infer.EnumValue[Logging] { return run.LoggingValues[Logging]() }

// CommandInputs are the inputs of command:remote:Command.
type CommandInputs struct {
	Connection             Connection         `pulumi:"connection" provider:"secret"`
	Environment            *map[string]string `pulumi:"environment,optional"`
	Triggers               *[]any             `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Create                 *string            `pulumi:"create,optional"`
	Delete                 *string            `pulumi:"delete,optional"`
	Update                 *string            `pulumi:"update,optional"`
	Stdin                  *string            `pulumi:"stdin,optional"`
	Logging                *Logging           `pulumi:"logging,optional"`
	AddPreviousOutputInEnv *bool              `pulumi:"addPreviousOutputInEnv,optional"`
}

// CommandOutputs is the state of command:remote:Command.
type CommandOutputs struct {
	CommandInputs
	Stdout string `pulumi:"stdout"`
	Stderr string `pulumi:"stderr"`
}

// Command runs a shell command on a remote host over SSH.
type Command struct{}

// Annotate documents the resource.
func (c *Command) Annotate(a infer.Annotator) {
	a.Describe(&c, "A command to run on a remote host over SSH (Slipway stand-in for the upstream "+
		"command provider). Environment variables are sent with SSH setenv; a server that refuses "+
		"one (its AcceptEnv does not list the name) fails the command.")
}

// Create runs the create command.
func (*Command) Create(ctx context.Context, req infer.CreateRequest[CommandInputs]) (infer.CreateResponse[CommandOutputs], error) {
	state := CommandOutputs{CommandInputs: req.Inputs}
	return run.Create(req.Name, req.DryRun, state, str(req.Inputs.Create, ""), func(cmd string) (CommandOutputs, error) {
		var err error
		state.Stdout, state.Stderr, err = execute(ctx, cmd, req.Inputs, nil)
		return state, err
	})
}

// Update runs update, or create again when update is unset.
func (*Command) Update(ctx context.Context, req infer.UpdateRequest[CommandInputs, CommandOutputs]) (infer.UpdateResponse[CommandOutputs], error) {
	state := CommandOutputs{CommandInputs: req.Inputs, Stdout: req.State.Stdout, Stderr: req.State.Stderr}
	return run.Update(req.DryRun, state, str(req.Inputs.Update, ""), str(req.Inputs.Create, ""), func(cmd string) (CommandOutputs, error) {
		prev := req.State
		next := state
		var err error
		next.Stdout, next.Stderr, err = execute(ctx, cmd, req.Inputs, &prev)
		return next, err
	})
}

// Delete runs the delete command.
func (*Command) Delete(ctx context.Context, req infer.DeleteRequest[CommandOutputs]) (infer.DeleteResponse, error) {
	if cmd := str(req.State.Delete, ""); cmd != "" {
		prev := req.State
		if _, _, err := execute(ctx, cmd, req.State.CommandInputs, &prev); err != nil {
			return infer.DeleteResponse{}, err
		}
	}
	return infer.DeleteResponse{}, nil
}

func execute(ctx context.Context, command string, in CommandInputs, prev *CommandOutputs) (string, string, error) {
	client, err := in.Connection.dial(ctx)
	if err != nil {
		return "", "", err
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		return "", "", err
	}
	defer session.Close()

	if in.Environment != nil {
		env := *in.Environment
		keys := make([]string, 0, len(env))
		for k := range env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := session.Setenv(k, env[k]); err != nil {
				p.GetLogger(ctx).Error(setenvAdvice(k))
				return "", "", fmt.Errorf("could not set environment variable %q: %w", k, err)
			}
		}
	}
	// The previous run's output is passed only when non-empty; a server that
	// refuses it gets a warning, not a failure (as upstream).
	if prev != nil && (in.AddPreviousOutputInEnv == nil || *in.AddPreviousOutputInEnv) {
		for _, kv := range [][2]string{{run.EnvStdout, prev.Stdout}, {run.EnvStderr, prev.Stderr}} {
			if kv[1] == "" {
				continue
			}
			if err := session.Setenv(kv[0], kv[1]); err != nil {
				p.GetLogger(ctx).Warning(setenvAdvice(kv[0]))
			}
		}
	}
	if in.Stdin != nil && *in.Stdin != "" {
		session.Stdin = strings.NewReader(*in.Stdin)
	}
	capture := run.NewCapture(ctx, run.ModeOf(in.Logging))
	session.Stdout, session.Stderr = capture.Stdout(), capture.Stderr()
	err = session.Run(command)
	capture.Finish()
	if err != nil {
		return "", "", run.Failure(err, command, capture.Combined())
	}
	stdout, stderr := capture.Result()
	return stdout, stderr, nil
}

func setenvAdvice(name string) string {
	return fmt.Sprintf("Unable to set '%s'. This only works if your SSH server is configured to accept "+
		"these variables via AcceptEnv. Alternatively, if a Bash-like shell runs the command on the remote "+
		"host, you could prefix the command itself with the variables in the form 'VAR=value command'", name)
}
