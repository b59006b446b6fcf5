package remote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pkg/sftp"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/infer/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
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

// CopyToRemote copies a local file, text or directory to a remote host over SFTP.
type CopyToRemote struct{}

// Annotate documents the resource.
func (c *CopyToRemote) Annotate(a infer.Annotator) {
	a.Describe(&c, "Copy an Asset or Archive to a remote host over SFTP (Slipway stand-in). The source "+
		"must be a FileAsset, a StringAsset or a FileArchive; archives such as .tgz are copied as they are. "+
		"Missing parent directories of remotePath are created. When remotePath is an existing directory "+
		"the source file or directory is copied into it; a source directory with a trailing slash copies "+
		"its contents. File modes are not kept. Deleting the resource leaves the files.")
}

var (
	_ = (infer.CustomCheck[CopyToRemoteInputs])((*CopyToRemote)(nil))
	_ = (infer.CustomUpdate[CopyToRemoteInputs, CopyToRemoteOutputs])((*CopyToRemote)(nil))
)

// Check refuses a source that is not exactly one path asset, text asset or path archive.
func (*CopyToRemote) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[CopyToRemoteInputs], error) {
	in, failures, err := infer.DefaultCheck[CopyToRemoteInputs](ctx, req.NewInputs)
	if err != nil {
		return infer.CheckResponse[CopyToRemoteInputs]{Inputs: in, Failures: failures}, err
	}
	asset, archive := in.Source.Asset, in.Source.Archive
	fail := func(property, reason string) {
		failures = append(failures, p.CheckFailure{Property: property, Reason: reason})
	}
	switch {
	case asset != nil && archive != nil:
		fail("asset", "only one of asset or archive can be set")
	case asset == nil && archive == nil:
		fail("asset", "either asset or archive must be set")
	}
	if asset != nil && !asset.IsPath() && !asset.IsText() {
		fail("asset", "asset must be a path-based file asset or a text asset")
	}
	if archive != nil && !archive.IsPath() {
		fail("archive", "archive must be a path to a file or directory")
	}
	return infer.CheckResponse[CopyToRemoteInputs]{Inputs: in, Failures: failures}, nil
}

// Create copies the source; the ID is a bare random hex string, as upstream.
func (*CopyToRemote) Create(ctx context.Context, req infer.CreateRequest[CopyToRemoteInputs]) (infer.CreateResponse[CopyToRemoteOutputs], error) {
	out := CopyToRemoteOutputs{req.Inputs}
	if req.DryRun {
		return infer.CreateResponse[CopyToRemoteOutputs]{Output: out}, nil
	}
	if err := copyToRemote(ctx, req.Inputs); err != nil {
		return infer.CreateResponse[CopyToRemoteOutputs]{Output: out}, err
	}
	id, err := resource.NewUniqueHex("", 8, 0)
	return infer.CreateResponse[CopyToRemoteOutputs]{ID: id, Output: out}, err
}

// Update copies again only when the source's content hash or the remote path changed.
func (*CopyToRemote) Update(ctx context.Context, req infer.UpdateRequest[CopyToRemoteInputs, CopyToRemoteOutputs]) (infer.UpdateResponse[CopyToRemoteOutputs], error) {
	out := CopyToRemoteOutputs{req.Inputs}
	if req.DryRun {
		return infer.UpdateResponse[CopyToRemoteOutputs]{Output: out}, nil
	}
	if sourceHash(req.Inputs.Source) == sourceHash(req.State.Source) && req.Inputs.RemotePath == req.State.RemotePath {
		return infer.UpdateResponse[CopyToRemoteOutputs]{Output: out}, nil
	}
	return infer.UpdateResponse[CopyToRemoteOutputs]{Output: out}, copyToRemote(ctx, req.Inputs)
}

func sourceHash(s types.AssetOrArchive) string {
	switch {
	case s.Archive != nil:
		return s.Archive.Hash
	case s.Asset != nil:
		return s.Asset.Hash
	}
	return ""
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

// CopyFile copies a local file to a remote host (deprecated upstream in favour
// of CopyToRemote). It has no update: a changed input replaces it, as upstream.
type CopyFile struct{}

// Annotate documents the resource.
func (c *CopyFile) Annotate(a infer.Annotator) {
	a.Describe(&c, "Copy a local file to a remote host (deprecated; use CopyToRemote).")
}

// Create copies the file to exactly remotePath.
func (*CopyFile) Create(ctx context.Context, req infer.CreateRequest[CopyFileInputs]) (infer.CreateResponse[CopyFileOutputs], error) {
	in := req.Inputs
	out := CopyFileOutputs{in}
	if req.DryRun {
		return infer.CreateResponse[CopyFileOutputs]{Output: out}, nil
	}
	err := withSFTP(ctx, in.Connection, func(c *sftp.Client) error { return copyFile(c, in.LocalPath, in.RemotePath) })
	if err != nil {
		return infer.CreateResponse[CopyFileOutputs]{Output: out}, err
	}
	id, err := resource.NewUniqueHex("", 8, 0)
	return infer.CreateResponse[CopyFileOutputs]{ID: id, Output: out}, err
}

func copyToRemote(ctx context.Context, in CopyToRemoteInputs) error {
	return withSFTP(ctx, in.Connection, func(c *sftp.Client) error {
		if a := in.Source.Asset; a != nil && a.IsText() {
			return copyText(c, a.Text, in.RemotePath)
		}
		src := ""
		if in.Source.Asset != nil {
			src = in.Source.Asset.Path
		} else if in.Source.Archive != nil {
			src = in.Source.Archive.Path
		}
		return sftpCopy(c, src, in.RemotePath)
	})
}

func withSFTP(ctx context.Context, conn Connection, f func(*sftp.Client) error) error {
	client, err := conn.dial(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	c, err := sftp.NewClient(client, sftp.UseConcurrentWrites(true))
	if err != nil {
		return err
	}
	defer c.Close()
	return f(c)
}

// remoteStat returns nil, nil when the remote path does not exist.
func remoteStat(c *sftp.Client, name string) (fs.FileInfo, error) {
	info, err := c.Stat(name)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("failed to stat remote path %s: %w", name, err)
	}
	return info, nil
}

func copyText(c *sftp.Client, text, dest string) error {
	st, err := remoteStat(c, dest)
	if err != nil {
		return err
	}
	if st != nil && st.IsDir() {
		return fmt.Errorf("remote path %s is a directory; when using a text asset, remotePath must be a file path", dest)
	}
	f, err := createFile(c, dest)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write([]byte(text)); err != nil {
		return fmt.Errorf("failed to write text content to remote path %s: %w", dest, err)
	}
	return nil
}

// sftpCopy copies a local file or directory:
//
//	source | dest is a dir       | dest missing        | dest is a file
//	dir    | dest/dir            | dest/dir            | error
//	dir/   | dest/x for x in dir | dest/x for x in dir | error
//	file   | dest/file           | dest                | dest (overwritten)
func sftpCopy(c *sftp.Client, src, dest string) error {
	info, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		st, err := remoteStat(c, dest)
		if err != nil {
			return err
		}
		if st != nil && st.IsDir() {
			dest = path.Join(dest, filepath.Base(src))
		}
		return copyFile(c, src, dest)
	}
	if err := ensureDir(c, dest); err != nil {
		return err
	}
	if !strings.HasSuffix(src, "/") {
		dest = path.Join(dest, filepath.Base(src))
	}
	return copyDir(c, src, dest)
}

func mkdirParents(c *sftp.Client, dest string) error {
	parent := path.Dir(dest)
	if parent == "." || parent == "/" {
		return nil
	}
	if err := c.MkdirAll(parent); err != nil {
		return fmt.Errorf("failed to create remote directory %s: %w", parent, err)
	}
	return nil
}

// createFile creates (or truncates) the remote file dest, and its missing parent directories.
func createFile(c *sftp.Client, dest string) (*sftp.File, error) {
	if err := mkdirParents(c, dest); err != nil {
		return nil, err
	}
	f, err := c.Create(dest)
	if err != nil {
		return nil, fmt.Errorf("failed to create remote file %s: %w", dest, err)
	}
	return f, nil
}

func copyFile(c *sftp.Client, src, dest string) error {
	local, err := os.Open(src)
	if err != nil {
		return err
	}
	defer local.Close()
	remote, err := createFile(c, dest)
	if err != nil {
		return err
	}
	defer remote.Close()
	if _, err := remote.ReadFrom(local); err != nil {
		return fmt.Errorf("failed to copy file %s to remote path %s: %w", src, dest, err)
	}
	return nil
}

// copyDir copies a directory tree, creating directories and overwriting files.
func copyDir(c *sftp.Client, src, dest string) error {
	return fs.WalkDir(os.DirFS(src), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := path.Join(dest, filepath.ToSlash(rel))
		if !d.IsDir() {
			return copyFile(c, filepath.Join(src, rel), target)
		}
		return ensureDir(c, target)
	})
}

// ensureDir makes the remote directory dest (with its parents) when it is missing and
// refuses a file that stands in its place.
func ensureDir(c *sftp.Client, dest string) error {
	st, err := remoteStat(c, dest)
	if err != nil {
		return err
	}
	if st == nil {
		if err := c.MkdirAll(dest); err != nil {
			return fmt.Errorf("failed to create remote directory %s: %w", dest, err)
		}
	} else if !st.IsDir() {
		return fmt.Errorf("remote path %s exists but is not a directory", dest)
	}
	return nil
}
