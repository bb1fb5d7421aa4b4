package persist

import (
	"os"
	"path/filepath"
	"strings"
)

// openLog opens the log for appending, creating it with a header naming
// base when create is set.
func openLog(path, base string, create bool) (*os.File, int64, error) {
	if create {
		line, err := logLine(logHeader{Format: logFormat, Version: logVersion, Base: base})
		if err != nil {
			return nil, 0, err
		}
		if err := writeAtomic(path, line); err != nil {
			return nil, 0, err
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// writeAtomic replaces path with data: written to a temporary file in the
// same directory, synced, and renamed over it, so a crash leaves either
// the old file or the new one, never a torn one.
func writeAtomic(path string, data []byte) error {
	dir, name := filepath.Split(path)
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil { // make the rename itself durable
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// removeTemps deletes temporary files a crash left mid-write.
func removeTemps(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "."+StateFile+".tmp-") || strings.HasPrefix(e.Name(), "."+LogFile+".tmp-") {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
