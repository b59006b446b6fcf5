package remote

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/infer/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	"golang.org/x/crypto/ssh"
)

// CopyToRemoteInputs are the inputs of command:remote:CopyToRemote.
type CopyToRemoteInputs struct {
	Connection Connection           `pulumi:"connection" provider:"secret"`
	Triggers   *[]any               `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Source     types.AssetOrArchive `pulumi:"source"`
	RemotePath string               `pulumi:"remotePath"`
}

// CopyToRemoteOutputs is the state of command:remote:CopyToRemote.
type CopyToRemoteOutputs struct {
	CopyToRemoteInputs
}

// CopyToRemote copies a local file (asset) or directory/archive to a remote host.
type CopyToRemote struct{}

// Annotate documents the resource.
func (c *CopyToRemote) Annotate(a infer.Annotator) {
	a.Describe(&c, "Copy an Asset or Archive to a remote host over SSH (Slipway stand-in; streams "+
		"through `cat`/`tar` on the remote side). When remotePath is an existing directory the "+
		"source file or directory is copied into it. Deleting the resource leaves the files.")
}

// Create copies the source.
func (*CopyToRemote) Create(ctx context.Context, req infer.CreateRequest[CopyToRemoteInputs]) (infer.CreateResponse[CopyToRemoteOutputs], error) {
	out := CopyToRemoteOutputs{req.Inputs}
	id := req.Name + randomSuffix()
	if req.DryRun {
		return infer.CreateResponse[CopyToRemoteOutputs]{ID: id, Output: out}, nil
	}
	if err := copyToRemote(ctx, req.Inputs.Connection, req.Inputs.Source, req.Inputs.RemotePath); err != nil {
		return infer.CreateResponse[CopyToRemoteOutputs]{}, err
	}
	return infer.CreateResponse[CopyToRemoteOutputs]{ID: id, Output: out}, nil
}

// Update copies the source again.
func (*CopyToRemote) Update(ctx context.Context, req infer.UpdateRequest[CopyToRemoteInputs, CopyToRemoteOutputs]) (infer.UpdateResponse[CopyToRemoteOutputs], error) {
	out := CopyToRemoteOutputs{req.Inputs}
	if req.DryRun {
		return infer.UpdateResponse[CopyToRemoteOutputs]{Output: out}, nil
	}
	err := copyToRemote(ctx, req.Inputs.Connection, req.Inputs.Source, req.Inputs.RemotePath)
	return infer.UpdateResponse[CopyToRemoteOutputs]{Output: out}, err
}

// CopyFileInputs are the inputs of the deprecated command:remote:CopyFile.
type CopyFileInputs struct {
	Connection Connection `pulumi:"connection" provider:"secret"`
	Triggers   *[]any     `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	LocalPath  string     `pulumi:"localPath"`
	RemotePath string     `pulumi:"remotePath"`
}

// CopyFileOutputs is the state of command:remote:CopyFile.
type CopyFileOutputs struct {
	CopyFileInputs
}

// CopyFile copies a local file to a remote host (deprecated upstream in favour of CopyToRemote).
type CopyFile struct{}

// Annotate documents the resource.
func (c *CopyFile) Annotate(a infer.Annotator) {
	a.Describe(&c, "Copy a local file to a remote host (deprecated; use CopyToRemote).")
}

// Create copies the file.
func (*CopyFile) Create(ctx context.Context, req infer.CreateRequest[CopyFileInputs]) (infer.CreateResponse[CopyFileOutputs], error) {
	out := CopyFileOutputs{req.Inputs}
	id := req.Name + randomSuffix()
	if req.DryRun {
		return infer.CreateResponse[CopyFileOutputs]{ID: id, Output: out}, nil
	}
	if err := copyFile(ctx, req.Inputs); err != nil {
		return infer.CreateResponse[CopyFileOutputs]{}, err
	}
	return infer.CreateResponse[CopyFileOutputs]{ID: id, Output: out}, nil
}

// Update copies the file again.
func (*CopyFile) Update(ctx context.Context, req infer.UpdateRequest[CopyFileInputs, CopyFileOutputs]) (infer.UpdateResponse[CopyFileOutputs], error) {
	out := CopyFileOutputs{req.Inputs}
	if req.DryRun {
		return infer.UpdateResponse[CopyFileOutputs]{Output: out}, nil
	}
	return infer.UpdateResponse[CopyFileOutputs]{Output: out}, copyFile(ctx, req.Inputs)
}

func copyFile(ctx context.Context, in CopyFileInputs) error {
	a, err := asset.FromPath(in.LocalPath)
	if err != nil {
		return err
	}
	return copyToRemote(ctx, in.Connection, types.AssetOrArchive{Asset: a}, in.RemotePath)
}

func copyToRemote(ctx context.Context, conn Connection, src types.AssetOrArchive, remotePath string) error {
	if remotePath == "" {
		return errors.New("remotePath must not be empty")
	}
	client, err := conn.dial(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	isDir := remoteRun(client, "test -d "+quote(remotePath), nil) == nil

	switch {
	case src.Asset != nil && src.Archive == nil:
		return copyAsset(client, src.Asset, remotePath, isDir)
	case src.Archive != nil && src.Asset == nil:
		return copyArchive(client, src.Archive, remotePath, isDir)
	default:
		return errors.New("source must be exactly one asset or archive")
	}
}

func copyAsset(client *ssh.Client, a *resource.Asset, remotePath string, isDir bool) error {
	data, err := a.Bytes()
	if err != nil {
		return fmt.Errorf("reading source asset: %w", err)
	}
	mode := os.FileMode(0o644)
	name := ""
	if p, ok := a.GetPath(); ok {
		name = filepath.Base(p)
		if st, err := os.Stat(p); err == nil {
			mode = st.Mode().Perm()
		}
	} else if u, ok := a.GetURI(); ok {
		name = path.Base(u)
	}
	dest := remotePath
	if isDir {
		if name == "" {
			return fmt.Errorf("remotePath %s is a directory and a text asset has no file name", remotePath)
		}
		dest = path.Join(remotePath, name)
	}
	cmd := fmt.Sprintf("cat > %s && chmod %o %s", quote(dest), mode, quote(dest))
	return remoteRun(client, cmd, bytes.NewReader(data))
}

func copyArchive(client *ssh.Client, a *resource.Archive, remotePath string, isDir bool) error {
	prefix := ""
	localDir := ""
	if p, ok := a.GetPath(); ok {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			localDir = p
			if isDir {
				prefix = filepath.Base(filepath.Clean(p))
			}
		}
	}
	reader, err := a.Open()
	if err != nil {
		return fmt.Errorf("opening source archive: %w", err)
	}
	defer reader.Close()

	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(writeTar(pw, reader, prefix, localDir))
	}()
	cmd := "tar -x -f - -C " + quote(remotePath)
	if !isDir {
		cmd = "mkdir -p " + quote(remotePath) + " && " + cmd
	}
	err = remoteRun(client, cmd, pr)
	pr.Close()
	return err
}

type archiveReader interface {
	Next() (string, *asset.Blob, error)
}

func writeTar(w io.Writer, r archiveReader, prefix, localDir string) error {
	tw := tar.NewWriter(w)
	dirs := map[string]bool{}
	addDirs := func(name string) error {
		var parts []string
		for d := path.Dir(name); d != "." && d != "/" && !dirs[d]; d = path.Dir(d) {
			parts = append(parts, d)
		}
		for i := len(parts) - 1; i >= 0; i-- {
			dirs[parts[i]] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: parts[i] + "/", Mode: 0o755}); err != nil {
				return err
			}
		}
		return nil
	}
	for {
		name, blob, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		member := filepath.ToSlash(name)
		if prefix != "" {
			member = path.Join(prefix, member)
		}
		member = strings.TrimPrefix(member, "/")
		mode := int64(0o644)
		if localDir != "" {
			if st, err := os.Stat(filepath.Join(localDir, name)); err == nil {
				mode = int64(st.Mode().Perm())
			}
		}
		if err := addDirs(member); err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: member, Mode: mode, Size: blob.Size()}); err != nil {
			return err
		}
		if _, err := io.Copy(tw, blob); err != nil {
			return err
		}
		_ = blob.Close()
	}
	return tw.Close()
}

func remoteRun(client *ssh.Client, cmd string, stdin io.Reader) error {
	session, err := client.NewSession()
	if err != nil {
		return err
	}
	defer session.Close()
	var stderr bytes.Buffer
	session.Stdin = stdin
	session.Stderr = &stderr
	if err := session.Run(cmd); err != nil {
		return fmt.Errorf("%w: running %q: %s", err, cmd, strings.TrimSpace(stderr.String()))
	}
	return nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
