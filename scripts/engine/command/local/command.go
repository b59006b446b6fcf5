// Package local implements command:local:Command and command:local:run.
package local

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"

	"github.com/gobwas/glob"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/infer/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"

	"slipway.local/engine/command/internal/run"
)

// Logging selects the streams echoed to the engine while a command runs.
type Logging string

// Values lists the allowed Logging values.
func (Logging) Values() []infer.EnumValue[Logging] { return run.LoggingValues[Logging]() }

// BaseInputs are the inputs shared by Command and run.
type BaseInputs struct {
	Interpreter            *[]string          `pulumi:"interpreter,optional"`
	Dir                    *string            `pulumi:"dir,optional"`
	Environment            *map[string]string `pulumi:"environment,optional"`
	Stdin                  *string            `pulumi:"stdin,optional"`
	AssetPaths             *[]string          `pulumi:"assetPaths,optional"`
	ArchivePaths           *[]string          `pulumi:"archivePaths,optional"`
	Logging                *Logging           `pulumi:"logging,optional"`
	AddPreviousOutputInEnv *bool              `pulumi:"addPreviousOutputInEnv,optional"`
}

// BaseOutputs are the results of running a command.
type BaseOutputs struct {
	Stdout  string                           `pulumi:"stdout"`
	Stderr  string                           `pulumi:"stderr"`
	Assets  *map[string]types.AssetOrArchive `pulumi:"assets,optional"`
	Archive *resource.Archive                `pulumi:"archive,optional"`
}

// CommandInputs are the inputs of command:local:Command.
type CommandInputs struct {
	BaseInputs
	Triggers *[]any  `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Create   *string `pulumi:"create,optional"`
	Delete   *string `pulumi:"delete,optional"`
	Update   *string `pulumi:"update,optional"`
}

// CommandOutputs is the state of command:local:Command.
type CommandOutputs struct {
	CommandInputs
	BaseOutputs
}

// Command runs a shell command on the machine running Pulumi.
type Command struct{}

// Annotate documents the resource.
func (c *Command) Annotate(a infer.Annotator) {
	a.Describe(&c, "A local command to be executed.\n"+
		"Slipway stand-in for the upstream command provider: create runs on create, update (or create "+
		"again when update is unset) on any input change, delete on delete; a change to triggers replaces.")
}

// Create runs the create command.
func (*Command) Create(ctx context.Context, req infer.CreateRequest[CommandInputs]) (infer.CreateResponse[CommandOutputs], error) {
	state := CommandOutputs{CommandInputs: req.Inputs}
	return run.Create(req.Name, req.DryRun, state, deref(req.Inputs.Create), func(cmd string) (CommandOutputs, error) {
		out, err := execute(ctx, cmd, req.Inputs.BaseInputs, nil)
		state.BaseOutputs = out
		return state, err
	})
}

// Update runs update, or create again when update is unset.
func (*Command) Update(ctx context.Context, req infer.UpdateRequest[CommandInputs, CommandOutputs]) (infer.UpdateResponse[CommandOutputs], error) {
	state := CommandOutputs{CommandInputs: req.Inputs, BaseOutputs: req.State.BaseOutputs}
	return run.Update(req.DryRun, state, deref(req.Inputs.Update), deref(req.Inputs.Create), func(cmd string) (CommandOutputs, error) {
		prev := req.State.BaseOutputs
		out, err := execute(ctx, cmd, req.Inputs.BaseInputs, &prev)
		next := state
		next.BaseOutputs = out
		return next, err
	})
}

// Delete runs the delete command.
func (*Command) Delete(ctx context.Context, req infer.DeleteRequest[CommandOutputs]) (infer.DeleteResponse, error) {
	if cmd := deref(req.State.Delete); cmd != "" {
		prev := req.State.BaseOutputs
		if _, err := execute(ctx, cmd, req.State.BaseInputs, &prev); err != nil {
			return infer.DeleteResponse{}, err
		}
	}
	return infer.DeleteResponse{}, nil
}

// RunInputs are the arguments of command:local:run.
type RunInputs struct {
	BaseInputs
	Command string `pulumi:"command"`
}

// RunOutputs are the results of command:local:run.
type RunOutputs struct {
	RunInputs
	BaseOutputs
}

// Run runs a command when invoked, every time the program runs.
type Run struct{}

// Annotate documents the function.
func (r *Run) Annotate(a infer.Annotator) {
	a.Describe(&r, "A local command to be executed, returning its output (Slipway stand-in).")
}

// Invoke runs the command.
func (*Run) Invoke(ctx context.Context, req infer.FunctionRequest[RunInputs]) (infer.FunctionResponse[RunOutputs], error) {
	out, err := execute(ctx, req.Input.Command, req.Input.BaseInputs, nil)
	if err != nil {
		return infer.FunctionResponse[RunOutputs]{}, err
	}
	return infer.FunctionResponse[RunOutputs]{Output: RunOutputs{RunInputs: req.Input, BaseOutputs: out}}, nil
}

func execute(ctx context.Context, command string, in BaseInputs, prev *BaseOutputs) (BaseOutputs, error) {
	interp := []string{"/bin/sh", "-c"}
	if in.Interpreter != nil && len(*in.Interpreter) > 0 {
		interp = *in.Interpreter
	}
	args := append(append([]string{}, interp[1:]...), command)
	cmd := exec.CommandContext(ctx, interp[0], args...)
	if in.Dir != nil {
		cmd.Dir = *in.Dir
	} else {
		wd, err := os.Getwd()
		if err != nil {
			return BaseOutputs{}, err
		}
		cmd.Dir = wd
	}
	env := os.Environ()
	if in.Environment != nil {
		keys := make([]string, 0, len(*in.Environment))
		for k := range *in.Environment {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			env = append(env, k+"="+(*in.Environment)[k])
		}
	}
	// The previous run's output is passed only when non-empty, as upstream.
	if prev != nil && (in.AddPreviousOutputInEnv == nil || *in.AddPreviousOutputInEnv) {
		if prev.Stdout != "" {
			env = append(env, run.EnvStdout+"="+prev.Stdout)
		}
		if prev.Stderr != "" {
			env = append(env, run.EnvStderr+"="+prev.Stderr)
		}
	}
	cmd.Env = env
	if in.Stdin != nil && *in.Stdin != "" {
		cmd.Stdin = strings.NewReader(*in.Stdin)
	}
	capture := run.NewCapture(ctx, run.ModeOf(in.Logging))
	cmd.Stdout, cmd.Stderr = capture.Stdout(), capture.Stderr()
	err := cmd.Run()
	capture.Finish()
	if err != nil {
		return BaseOutputs{}, run.Failure(err, command, capture.Combined())
	}
	stdout, stderr := capture.Result()
	out := BaseOutputs{Stdout: stdout, Stderr: stderr}
	if in.AssetPaths != nil {
		assets, err := globAssets(cmd.Dir, *in.AssetPaths)
		if err != nil {
			return BaseOutputs{}, err
		}
		found := make(map[string]types.AssetOrArchive, len(assets))
		for name, a := range assets {
			found[name] = types.AssetOrArchive{Asset: a}
		}
		out.Assets = &found
	}
	if in.ArchivePaths != nil {
		assets, err := globAssets(cmd.Dir, *in.ArchivePaths)
		if err != nil {
			return BaseOutputs{}, err
		}
		members := make(map[string]any, len(assets))
		for name, a := range assets {
			members[name] = a
		}
		arch, err := archive.FromAssets(members)
		if err != nil {
			return BaseOutputs{}, err
		}
		out.Archive = arch
	}
	return out, nil
}

// globAssets matches the files under dir (never directories) against the
// patterns in order, as upstream: paths are relative with "/" separators, "*"
// stops at "/", "**" does not, and a pattern starting with "!" removes what
// earlier patterns matched.
func globAssets(dir string, patterns []string) (map[string]*asset.Asset, error) {
	type rule struct {
		g       glob.Glob
		exclude bool
	}
	rules := make([]rule, len(patterns))
	for i, pat := range patterns {
		exclude := strings.HasPrefix(pat, "!")
		g, err := glob.Compile(strings.TrimPrefix(pat, "!"), '/')
		if err != nil {
			return nil, fmt.Errorf("bad glob %q: %w", pat, err)
		}
		rules[i] = rule{g, exclude}
	}
	found := map[string]*asset.Asset{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		for _, r := range rules {
			if !r.g.Match(rel) {
				continue
			}
			if r.exclude {
				delete(found, rel)
				continue
			}
			a, err := asset.FromPath(path.Join(dir, rel))
			if err != nil {
				return err
			}
			found[rel] = a
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
