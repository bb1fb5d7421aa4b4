//go:build !unix

package main

func limitFileSize() {}

const canLimitFileSize = false
