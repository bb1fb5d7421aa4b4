//go:build race

package scenario

// raceEnabled: the race detector is on; allocation counts mean little.
const raceEnabled = true
