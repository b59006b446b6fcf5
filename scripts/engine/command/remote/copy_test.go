package remote

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/infer/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
)

// The local sshd serves SFTP on this machine, so "remote" paths are local temp dirs.

func writeFile(t *testing.T, name, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tree lists the files under dir as "rel=content".
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel+"="+readFile(t, p))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// sourceDir makes src/{a.txt, sub/b.txt}.
func sourceDir(t *testing.T) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	writeFile(t, filepath.Join(src, "a.txt"), "A", 0o644)
	writeFile(t, filepath.Join(src, "sub", "b.txt"), "B", 0o644)
	return src
}

func pathAsset(t *testing.T, p string) types.AssetOrArchive {
	t.Helper()
	a, err := asset.FromPath(p)
	if err != nil {
		t.Fatal(err)
	}
	return types.AssetOrArchive{Asset: a}
}

func pathArchive(t *testing.T, p string) types.AssetOrArchive {
	t.Helper()
	a, err := archive.FromPath(p)
	if err != nil {
		t.Fatal(err)
	}
	return types.AssetOrArchive{Archive: a}
}

// copyTree copies source to dest and checks the remote tree under dest (tree) against want.
func copyTree(t *testing.T, sshd localSSHD, source types.AssetOrArchive, dest string, want []string) {
	t.Helper()
	if _, err := create(t, CopyToRemoteInputs{Connection: sshd.connection(), Source: source, RemotePath: dest}); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, dest); !reflect.DeepEqual(got, want) {
		t.Errorf("remote tree %q, want %q", got, want)
	}
}

func create(t *testing.T, in CopyToRemoteInputs) (infer.CreateResponse[CopyToRemoteOutputs], error) {
	t.Helper()
	return (&CopyToRemote{}).Create(context.Background(), infer.CreateRequest[CopyToRemoteInputs]{Name: "copy", Inputs: in})
}

func TestCopyFileCreatesMissingParentsAndDropsTheMode(t *testing.T) {
	sshd := requireSSHD(t)
	src := filepath.Join(t.TempDir(), "run.sh")
	writeFile(t, src, "#!/bin/sh\n", 0o755)
	dest := filepath.Join(t.TempDir(), "deep", "er", "run.sh")
	resp, err := create(t, CopyToRemoteInputs{Connection: sshd.connection(), Source: pathAsset(t, src), RemotePath: dest})
	if err != nil {
		t.Fatal(err)
	}
	if readFile(t, dest) != "#!/bin/sh\n" {
		t.Error("content differs")
	}
	st, _ := os.Stat(dest)
	if st.Mode().Perm()&0o111 != 0 {
		t.Errorf("mode %v: upstream's SFTP copy does not keep the executable bit", st.Mode())
	}
	if _, err := hex.DecodeString(resp.ID); err != nil || len(resp.ID) != 8 {
		t.Errorf("ID %q is not a bare 8-digit hex string", resp.ID)
	}
}

// One file lands in an existing directory under its own name, as a path asset or as a path
// archive; an archive that is a file (a .tgz) is copied as it is, not unpacked.
func TestCopyFileIntoAnExistingDirectory(t *testing.T) {
	sshd := requireSSHD(t)
	for _, tc := range []struct {
		name, file, content string
		source              func(*testing.T, string) types.AssetOrArchive
	}{
		{"path asset", "f.txt", "F", pathAsset},
		{"archive file as is", "bundle.tgz", "\x1f\x8b not really unpacked", pathArchive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), tc.file)
			writeFile(t, src, tc.content, 0o644)
			copyTree(t, sshd, tc.source(t, src), t.TempDir(), []string{tc.file + "=" + tc.content})
		})
	}
}

func TestCopyDirectoryWithAndWithoutTrailingSlash(t *testing.T) {
	sshd := requireSSHD(t)
	src := sourceDir(t)
	for _, tc := range []struct {
		name, source string
		existing     bool
		want         []string
	}{
		{"dir into missing dest", src, false, []string{"src/a.txt=A", "src/sub/b.txt=B"}},
		{"dir into existing dest", src, true, []string{"src/a.txt=A", "src/sub/b.txt=B"}},
		{"dir/ into existing dest", src + "/", true, []string{"a.txt=A", "sub/b.txt=B"}},
		{"dir/ into missing dest", src + "/", false, []string{"a.txt=A", "sub/b.txt=B"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "dest")
			if tc.existing {
				if err := os.Mkdir(dest, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			copyTree(t, sshd, pathArchive(t, tc.source), dest, tc.want)
		})
	}
}

func TestCopyDirectoryOntoAFileFails(t *testing.T) {
	sshd := requireSSHD(t)
	dest := filepath.Join(t.TempDir(), "file")
	writeFile(t, dest, "x", 0o644)
	_, err := create(t, CopyToRemoteInputs{Connection: sshd.connection(), Source: pathArchive(t, sourceDir(t)), RemotePath: dest})
	if err == nil || err.Error() != "remote path "+dest+" exists but is not a directory" {
		t.Fatalf("error = %v", err)
	}
}

func TestCopyTextAsset(t *testing.T) {
	sshd := requireSSHD(t)
	text, err := asset.FromText("key = value\n")
	if err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "etc", "app.conf")
	in := CopyToRemoteInputs{Connection: sshd.connection(), Source: types.AssetOrArchive{Asset: text}, RemotePath: dest}
	if _, err := create(t, in); err != nil {
		t.Fatal(err)
	}
	if readFile(t, dest) != "key = value\n" {
		t.Error("content differs")
	}
	in.RemotePath = t.TempDir()
	_, err = create(t, in)
	if err == nil || err.Error() != "remote path "+in.RemotePath+" is a directory; when using a text asset, remotePath must be a file path" {
		t.Errorf("text asset onto a directory: %v", err)
	}
}

// Update copies again only when the content hash or the remote path changed.
func TestCopyUpdateOnlyOnNewHashOrPath(t *testing.T) {
	sshd := requireSSHD(t)
	src := filepath.Join(t.TempDir(), "f.txt")
	writeFile(t, src, "v1", 0o644)
	dest := filepath.Join(t.TempDir(), "f.txt")
	in := CopyToRemoteInputs{Connection: sshd.connection(), Source: pathAsset(t, src), RemotePath: dest}
	if _, err := create(t, in); err != nil {
		t.Fatal(err)
	}
	update := func(news CopyToRemoteInputs, olds CopyToRemoteInputs) {
		t.Helper()
		_, err := (&CopyToRemote{}).Update(context.Background(), infer.UpdateRequest[CopyToRemoteInputs, CopyToRemoteOutputs]{
			ID: "x", Inputs: news, State: CopyToRemoteOutputs{olds},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, dest, "changed on the host", 0o644)
	update(in, in) // same hash, same path: nothing copied
	if readFile(t, dest) != "changed on the host" {
		t.Error("copied although neither hash nor path changed")
	}

	writeFile(t, src, "v2", 0o644)
	news := in
	news.Source = pathAsset(t, src)
	update(news, in)
	if readFile(t, dest) != "v2" {
		t.Error("a new hash did not copy")
	}

	moved := news
	moved.RemotePath = filepath.Join(t.TempDir(), "g.txt")
	update(moved, news)
	if readFile(t, moved.RemotePath) != "v2" {
		t.Error("a new path did not copy")
	}
}

// Check refuses URL assets and asset archives (only path or text sources work).
func TestCopyCheckRefusesURLAndAssetArchives(t *testing.T) {
	src := filepath.Join(t.TempDir(), "f.txt")
	writeFile(t, src, "x", 0o644)
	fileAsset, _ := asset.FromPath(src)
	urlAsset, _ := asset.FromURI("http://127.0.0.1:1/f.txt")
	assetArchive, _ := archive.FromAssets(map[string]any{"f.txt": fileAsset})
	check := func(source types.AssetOrArchive) []string {
		t.Helper()
		var src resource.PropertyValue
		if source.Asset != nil {
			src = resource.NewAssetProperty(source.Asset)
		} else {
			src = resource.NewArchiveProperty(source.Archive)
		}
		news := resource.PropertyMap{
			"connection": resource.NewObjectProperty(resource.PropertyMap{"host": resource.NewStringProperty("127.0.0.1")}),
			"remotePath": resource.NewStringProperty("/tmp/x"),
			"source":     src,
		}
		resp, err := (&CopyToRemote{}).Check(context.Background(), infer.CheckRequest{NewInputs: resource.FromResourcePropertyMap(news)})
		if err != nil {
			t.Fatal(err)
		}
		var reasons []string
		for _, f := range resp.Failures {
			reasons = append(reasons, f.Property+": "+f.Reason)
		}
		return reasons
	}
	if got := check(types.AssetOrArchive{Asset: fileAsset}); len(got) != 0 {
		t.Errorf("file asset: %q", got)
	}
	if got := check(types.AssetOrArchive{Asset: urlAsset}); !reflect.DeepEqual(got, []string{"asset: asset must be a path-based file asset or a text asset"}) {
		t.Errorf("URL asset: %q", got)
	}
	if got := check(types.AssetOrArchive{Archive: assetArchive}); !reflect.DeepEqual(got, []string{"archive: archive must be a path to a file or directory"}) {
		t.Errorf("asset archive: %q", got)
	}
}
