// Package scenarios carries the example scenario files into the binary, so
// `freedompay-mock` serves default.toml with no flags.
package scenarios

import "embed"

// FS holds every *.toml file of this folder.
//
//go:embed *.toml
var FS embed.FS
