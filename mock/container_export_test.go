package mock

// AsIfInContainer makes the notify scheduler of a server built with opts
// take in as whether the sandbox runs in a container, instead of looking.
func AsIfInContainer(opts Options, in bool) Options {
	opts.inContainer = func() bool { return in }
	return opts
}
