package split

import (
	"errors"
	"io/fs"
	"os"
	"sync"

	"go.uber.org/zap"
)

// File is a split file read per request and parsed only when it changed (another inode,
// modification time or size): the host changes weights by renaming a new file into place.
type File struct {
	path   string
	logger *zap.Logger

	mu      sync.RWMutex
	info    fs.FileInfo // the version last read, nil when there is none
	table   *Table      // the last good split, nil when there is none
	lastErr error       // why the version last read was refused
}

// NewFile watches `path`; problems go to `logger`.
func NewFile(path string, logger *zap.Logger) *File {
	return &File{path: path, logger: logger}
}

func sameVersion(a, b fs.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}

// Current is the split in force: the file's table, or the last good one while the file
// is malformed; nil without a file (the service's plain upstream then).
func (f *File) Current() *Table {
	info, err := os.Stat(f.path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			f.logger.Error("reading the split file", zap.String("file", f.path), zap.Error(err))
		}
		// No file, no split: forget the last one (the lock only when there is one to forget).
		f.mu.RLock()
		had := f.info != nil || f.table != nil || f.lastErr != nil
		f.mu.RUnlock()
		if had {
			f.mu.Lock()
			f.info, f.table, f.lastErr = nil, nil, nil
			f.mu.Unlock()
		}
		return nil
	}
	f.mu.RLock()
	if sameVersion(f.info, info) {
		table := f.table
		f.mu.RUnlock()
		return table
	}
	f.mu.RUnlock()

	f.mu.Lock()
	defer f.mu.Unlock()
	if sameVersion(f.info, info) {
		return f.table
	}
	data, err := os.ReadFile(f.path)
	if err == nil {
		var table *Table
		if table, err = Parse(data); err == nil {
			f.info, f.table, f.lastErr = info, table, nil
			f.logger.Info("split changed", zap.String("file", f.path), zap.Any("sides", table.Sides))
			return table
		}
	}
	// Refused: keep the last good split, and do not read this version again.
	f.info, f.lastErr = info, err
	f.logger.Error("split file refused; the last good split stays in force",
		zap.String("file", f.path), zap.Error(err), zap.Bool("split_in_force", f.table != nil))
	return f.table
}

// Status is the split in force and why the last version was refused, without reading.
func (f *File) Status() (*Table, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.table, f.lastErr
}
