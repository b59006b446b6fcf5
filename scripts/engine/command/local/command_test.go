package local

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-go-provider/infer"
)

func files(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The example of upstream's assetPaths documentation, plus "*" not crossing "/".
func TestGlobAssets(t *testing.T) {
	dir := t.TempDir()
	files(t, dir, "assets/logos/logo.svg", "src/index.js", "src/secret.js", "src/lib/util.js", "top.txt", "sub/deep.txt")
	for _, tc := range []struct {
		patterns []string
		want     []string
	}{
		{[]string{"assets/**", "src/**.js", "!**secret.*"}, []string{"assets/logos/logo.svg", "src/index.js", "src/lib/util.js"}},
		{[]string{"*.txt"}, []string{"top.txt"}},
		{[]string{"**.txt"}, []string{"sub/deep.txt", "top.txt"}},
		{[]string{"!top.txt", "*.txt"}, []string{"top.txt"}}, // rules apply in order
		{[]string{"src/*"}, []string{"src/index.js", "src/secret.js"}},
		{[]string{"assets"}, []string{}}, // directories are never assets
	} {
		got, err := globAssets(dir, tc.patterns)
		if err != nil {
			t.Fatal(err)
		}
		if names := keys(got); !reflect.DeepEqual(names, tc.want) {
			t.Errorf("%q: %q, want %q", tc.patterns, names, tc.want)
		}
	}
	if _, err := globAssets(dir, []string{"[unclosed"}); err == nil || !strings.Contains(err.Error(), `bad glob "[unclosed"`) {
		t.Errorf("bad pattern: %v", err)
	}
}

func TestCommandAssetsAndArchive(t *testing.T) {
	dir := t.TempDir()
	in := CommandInputs{
		BaseInputs: BaseInputs{
			Dir:          &dir,
			AssetPaths:   &[]string{"out/**", "!**.log"},
			ArchivePaths: &[]string{"out/*.bin"},
		},
		Create: ptr("mkdir -p out/sub && echo a > out/a.bin && echo b > out/sub/b.txt && echo c > out/c.log"),
	}
	resp, err := (&Command{}).Create(context.Background(), infer.CreateRequest[CommandInputs]{Name: "c", Inputs: in})
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(*resp.Output.Assets); !reflect.DeepEqual(got, []string{"out/a.bin", "out/sub/b.txt"}) {
		t.Errorf("assets %q", got)
	}
	members, ok := resp.Output.Archive.GetAssets()
	if !ok || !reflect.DeepEqual(keys(members), []string{"out/a.bin"}) {
		t.Errorf("archive members %v", members)
	}
	if a := (*resp.Output.Assets)["out/a.bin"].Asset; a == nil || a.Path != filepath.Join(dir, "out/a.bin") {
		t.Errorf("asset out/a.bin = %+v", a)
	}
}

// PULUMI_COMMAND_STDOUT/_STDERR are set only when the previous value is non-empty.
func TestPreviousOutputOnlyWhenNonEmpty(t *testing.T) {
	in := CommandInputs{Create: ptr("true"), Update: ptr("env | grep ^PULUMI_COMMAND_ | sort")}
	state := CommandOutputs{CommandInputs: in, BaseOutputs: BaseOutputs{Stdout: "before"}}
	resp, err := (&Command{}).Update(context.Background(), infer.UpdateRequest[CommandInputs, CommandOutputs]{
		ID: "c", Inputs: in, State: state,
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Output.Stdout != "PULUMI_COMMAND_STDOUT=before" {
		t.Errorf("environment: %q", resp.Output.Stdout)
	}
}

func TestFailureShowsInterleavedOutput(t *testing.T) {
	in := CommandInputs{Create: ptr("echo out; sleep 0.1; echo err >&2; exit 2")}
	_, err := (&Command{}).Create(context.Background(), infer.CreateRequest[CommandInputs]{Name: "c", Inputs: in})
	want := "exit status 2: running \"echo out; sleep 0.1; echo err >&2; exit 2\":\nout\nerr\n"
	if err == nil || err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func ptr[T any](v T) *T { return &v }
