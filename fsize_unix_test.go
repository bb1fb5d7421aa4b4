//go:build unix

package main

import (
	"os"
	"strconv"
	"syscall"
)

// limitFileSize applies FREEDOMPAY_MOCK_TEST_FSIZE, when set, as this
// process's file-size limit (ulimit -f, in bytes): a write past it fails
// with "file too large", as on a full disk. Go ignores SIGXFSZ.
func limitFileSize() {
	n, err := strconv.ParseUint(os.Getenv("FREEDOMPAY_MOCK_TEST_FSIZE"), 10, 64)
	if err != nil {
		return
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
		panic(err)
	}
}

const canLimitFileSize = true
