package mock

import "runtime/debug"

// Version is the sandbox's version: set, when the binary was built with
// -ldflags "-X main.version=v1.2.3" (main passes it on); else the module
// version `go install …@v1.2.3` recorded; else "dev-" and the commit a
// build from a clone recorded; else "dev".
func Version(set string) string {
	if set != "" {
		return set
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}
