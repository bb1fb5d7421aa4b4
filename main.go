// Command freedompay-mock is an offline sandbox of the FreedomPay payout
// gateway. See README.md and docs/.
//
//	freedompay-mock [serve] [--addr :8080] [--scenario FILE] [--seed N] ...
//	freedompay-mock validate FILE...
//	freedompay-mock sign --script NAME --secret KEY pg_x=... ...
//	freedompay-mock healthcheck [--url URL]
//	freedompay-mock verify [--url URL] [--junit FILE] [--json]
//	freedompay-mock version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/freedompay-mock/freedompay-mock/mock"
	"github.com/freedompay-mock/freedompay-mock/mock/control"
	"github.com/freedompay-mock/freedompay-mock/mock/journal"
	"github.com/freedompay-mock/freedompay-mock/mock/ledger"
	"github.com/freedompay-mock/freedompay-mock/mock/notify"
	"github.com/freedompay-mock/freedompay-mock/mock/sandbox"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

const envPrefix = "FREEDOMPAY_MOCK_"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole CLI; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		switch a := args[0]; {
		case a == "-h" || a == "-help" || a == "--help":
			cmd, args = "help", args[1:]
		case a == "-version" || a == "--version":
			cmd, args = "version", args[1:]
		case !strings.HasPrefix(a, "-"):
			cmd, args = a, args[1:]
		}
	}
	switch cmd {
	case "serve":
		return serve(args, stdout, stderr)
	case "validate":
		return validate(args, stdout, stderr)
	case "sign":
		return signCmd(args, stdout, stderr)
	case "healthcheck":
		return healthcheck(args, stdout, stderr)
	case "verify":
		return verify(args, stdout, stderr)
	case "version":
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			fmt.Fprintln(stdout, "usage: freedompay-mock version (or --version)\nPrints the version: the release tag, else the module version, else dev.")
			return 0
		}
		if len(args) > 0 {
			fmt.Fprintf(stderr, "freedompay-mock version: unexpected argument %q\n", args[0])
			return 2
		}
		fmt.Fprintln(stdout, "freedompay-mock", mock.Version(version))
		return 0
	case "help":
		if len(args) > 0 && args[0] != "help" {
			// "help verify" is "verify -h".
			return run([]string{args[0], "-h"}, stdout, stderr)
		}
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "freedompay-mock: unknown command %q\n\n", cmd)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `freedompay-mock: an offline sandbox of the FreedomPay payment gateway.

Usage:
  freedompay-mock [serve] [flags]         run the sandbox gateway (the default command)
  freedompay-mock validate FILE...        check scenario files; exit 2 listing every problem
  freedompay-mock sign --script NAME --secret KEY pg_x=VALUE...
                                          print the signing string (secret masked) and pg_sig
  freedompay-mock healthcheck [--url URL]  exit 0 when the server at URL is ready (for Docker HEALTHCHECK)
  freedompay-mock verify [--url URL] [--junit FILE|-] [--json]
                                          check the scenario's [[expect]] against a running server:
                                          exit 0 all hold, 1 one fails, 2 the server cannot be asked;
                                          --junit - writes the JUnit XML to stdout
  freedompay-mock version                 print the version (also --version)
  freedompay-mock help [COMMAND]          this text, or a command's flags

Run "freedompay-mock help serve" for the server's flags; each also reads
FREEDOMPAY_MOCK_<FLAG> from the environment (FREEDOMPAY_MOCK_ADDR, ...).
`)
}

// envDefault returns $FREEDOMPAY_MOCK_<NAME> or def.
func envDefault(name, def string) string {
	if v, ok := os.LookupEnv(envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); ok {
		return v
	}
	return def
}

// defaultMemoryLimit is --memory-limit's default: the collector keeps the
// process near it under a flood of large requests (each is garbage once
// answered, but Go lets the heap grow to twice what is live before it
// collects), well above what the sandbox needs for the scenarios it
// ships (under 40 MB under load).
const defaultMemoryLimit = "192MiB"

// gcPercent is the collector's pacing when GOGC is not set: the heap may
// grow to five times what is live before a collection, not twice. What the
// sandbox keeps live (a journal of 10 000 requests is about 4 MB) would
// otherwise be marked some 25 times a second under load, every request
// paying for it; --memory-limit still caps the heap.
const gcPercent = 400

// paceCollector sets gcPercent unless GOGC is set.
func paceCollector(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}

// parseBytes reads a size: digits with an optional KiB, MiB or GiB.
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		n      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.n
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, errors.New("want a size such as 192MiB, 1GiB or 0")
	}
	return n * mult, nil
}

// parseFlags parses a command's flags. A request for help (-h, --help)
// prints the command's usage on stdout and ends the command with exit 0;
// a flag that does not parse ends it with exit 2, its error on stderr.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) (code int, ok bool) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return 0, false
		}
	}
	if err := fs.Parse(args); err != nil {
		return 2, false
	}
	return 0, true
}

func serve(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: freedompay-mock [serve] [flags]")
		fmt.Fprintln(fs.Output(), "Runs the sandbox gateway. Each flag also reads FREEDOMPAY_MOCK_<FLAG> from the environment (--addr: FREEDOMPAY_MOCK_ADDR).")
		fs.PrintDefaults()
	}
	addr := fs.String("addr", envDefault("addr", ":8080"), "listen address")
	scenarioPath := fs.String("scenario", envDefault("scenario", ""), "scenario TOML file (default: the embedded scenarios/default.toml)")
	seedStr := fs.String("seed", envDefault("seed", "0"), "seed for generated values; 0 takes the scenario's")
	logFormat := fs.String("log-format", envDefault("log-format", "text"), "log format: text or json")
	logLevel := fs.String("log-level", envDefault("log-level", "info"), "log level: debug, info, warn or error")
	clockMode := fs.String("clock", envDefault("clock", ""), "clock: real or manual (default: the scenario's, else real)")
	speedStr := fs.String("speed", envDefault("speed", "0"), "real clock: run time this many times faster; 0 takes the scenario's speed, which is 1 unless it sets one")
	maxBody := fs.String("max-body", envDefault("max-body", strconv.Itoa(mock.DefaultMaxBodyBytes)), "request body limit in bytes")
	journalSize := fs.String("journal-size", envDefault("journal-size", strconv.Itoa(journal.DefaultSize)), "requests and notifications kept per merchant (older ones are dropped and counted)")
	adminToken := fs.String("admin-token", envDefault("admin-token", ""), "when set, /_mock/ requires \"Authorization: Bearer <token>\" (the dashboard asks for it in a sign-in form)")
	callbackAllow := fs.String("callback-allow", envDefault("callback-allow", ""), "when set, notifies go only to these hosts: comma-separated host globs and IP networks, e.g. \"merchant,*.test,10.0.0.0/8\"")
	loopbackHost := fs.String("callback-loopback-host", envDefault("callback-loopback-host", ""), "when set, notifies to a post_link on localhost, 127.x.x.x or ::1 go to this host instead (same scheme, port, path and query), e.g. host.docker.internal in a container; the Docker image sets it")
	allowedHosts := fs.String("allowed-hosts", envDefault("allowed-hosts", ""), "without --admin-token, /_mock/ and the dashboard answer only IP literals, localhost, single-label names, .internal, .local, .lan, .home.arpa, .test, .localdomain, .svc names and --addr's host (a guard against DNS rebinding); comma-separated names and globs to allow too, e.g. \"ci-runner,*.corp.example\"; * allows any Host")
	readHeader := fs.String("read-header-timeout", envDefault("read-header-timeout", mock.DefaultReadHeaderTimeout.String()), "a client must send its request headers within this")
	readAll := fs.String("read-timeout", envDefault("read-timeout", mock.DefaultReadTimeout.String()), "a client must send its whole request within this")
	writeAll := fs.String("write-timeout", envDefault("write-timeout", mock.DefaultWriteTimeout.String()), "a reply must be written within this (advance, drain and await extend their own)")
	shutdown := fs.String("shutdown-timeout", envDefault("shutdown-timeout", mock.DefaultShutdownTimeout.String()), "on SIGTERM, requests and notify attempts in flight get this long to end")
	workers := fs.String("notify-workers", envDefault("notify-workers", strconv.Itoa(notify.DefaultWorkers)), "payouts whose notifies may be in flight at once")
	stateDir := fs.String("state", envDefault("state", ""), "directory to save the state in and resume it from after a restart (default: nothing is written)")
	publicURL := fs.String("public-url", envDefault("public-url", ""), "base URL of the pages replies name (pg_redirect_url), where a payer's browser reaches the sandbox, e.g. http://localhost:8080 (default: the host the request came to)")
	maxPayments := fs.String("max-payments", envDefault("max-payments", strconv.Itoa(ledger.DefaultMaxPayments)), "the most payments kept per merchant; init_payment beyond it is refused (reset the merchant to start afresh)")
	maxCards := fs.String("max-cards", envDefault("max-cards", strconv.Itoa(ledger.DefaultMaxCards)), "the most card-storage records (saved cards, removed ones, card pages waiting for a card) kept per merchant; cardstorage/add beyond it is refused (reset the merchant to start afresh)")
	maxAwaits := fs.String("max-awaits", envDefault("max-awaits", strconv.Itoa(sandbox.DefaultMaxAwaits)), "the most /_mock/await calls open at once (more are answered 503 with Retry-After)")
	memoryLimit := fs.String("memory-limit", envDefault("memory-limit", defaultMemoryLimit), "soft limit of the memory the Go runtime uses, such as 192MiB or 1GiB: near it the collector works harder (it never refuses work); 0 for none; GOMEMLIMIT, when set, wins")
	stateInterval := fs.String("state-interval", envDefault("state-interval", mock.DefaultStateInterval.String()), "least time between two saves no request waits on (a payout made is saved before its reply)")
	if code, ok := parseFlags(fs, args, stdout); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "freedompay-mock serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	logger, err := newLogger(stderr, *logFormat, *logLevel)
	seed, err2 := strconv.ParseInt(*seedStr, 10, 64)
	limit, err3 := strconv.ParseInt(*maxBody, 10, 64)
	if err2 != nil {
		err2 = fmt.Errorf("--seed %q is not an integer", *seedStr)
	}
	if err3 != nil || limit <= 0 {
		err3 = fmt.Errorf("--max-body %q is not a positive number of bytes", *maxBody)
	}
	speed, err4 := strconv.ParseFloat(*speedStr, 64)
	if err4 != nil || speed < 0 {
		err4 = fmt.Errorf("--speed %q is not a positive number", *speedStr)
	}
	var err5 error
	if *clockMode != "" && *clockMode != "real" && *clockMode != "manual" {
		err5 = fmt.Errorf("--clock %q: want real or manual", *clockMode)
	}
	size, err6 := strconv.Atoi(*journalSize)
	if err6 != nil || size <= 0 {
		err6 = fmt.Errorf("--journal-size %q is not a positive count", *journalSize)
	}
	interval, err7 := time.ParseDuration(*stateInterval)
	if err7 != nil || interval <= 0 {
		err7 = fmt.Errorf("--state-interval %q is not a positive duration such as 100ms", *stateInterval)
	}
	var timeouts [4]time.Duration
	var err8 error
	for i, t := range []struct{ name, v string }{{"read-header-timeout", *readHeader}, {"read-timeout", *readAll}, {"write-timeout", *writeAll}, {"shutdown-timeout", *shutdown}} {
		d, perr := time.ParseDuration(t.v)
		if perr != nil || d <= 0 {
			err8 = errors.Join(err8, fmt.Errorf("--%s %q is not a positive duration such as 10s", t.name, t.v))
		}
		timeouts[i] = d
	}
	nWorkers, err9 := strconv.Atoi(*workers)
	if err9 != nil || nWorkers <= 0 || nWorkers > 10000 {
		err9 = fmt.Errorf("--notify-workers %q is not a count from 1 to 10000", *workers)
	}
	nAwaits, err10 := strconv.Atoi(*maxAwaits)
	if err10 != nil || nAwaits <= 0 || nAwaits > 1000000 {
		err10 = fmt.Errorf("--max-awaits %q is not a count from 1 to 1000000", *maxAwaits)
	}
	nPayments, err13 := strconv.Atoi(*maxPayments)
	if err13 != nil || nPayments <= 0 || nPayments > 10000000 {
		err13 = fmt.Errorf("--max-payments %q is not a count from 1 to 10000000", *maxPayments)
	}
	nCards, err14 := strconv.Atoi(*maxCards)
	if err14 != nil || nCards <= 0 || nCards > 10000000 {
		err14 = fmt.Errorf("--max-cards %q is not a count from 1 to 10000000", *maxCards)
	}
	memLimit, err11 := parseBytes(*memoryLimit)
	if err11 != nil {
		err11 = fmt.Errorf("--memory-limit %q: %v", *memoryLimit, err11)
	}
	_, err12 := control.ParseAllowedHosts(*allowedHosts)
	if err := errors.Join(err, err2, err3, err4, err5, err6, err7, err8, err9, err10, err11, err12, err13, err14); err != nil {
		fmt.Fprintln(stderr, "freedompay-mock serve:", err)
		return 2
	}

	if memLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memLimit)
	}
	paceCollector(os.Getenv)

	// Signals are caught from here on, so a SIGTERM during start-up is a
	// clean stop too.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := mock.Run(mock.Options{
		ScenarioPath: *scenarioPath, Seed: seed, Logger: logger, Addr: *addr, MaxBodyBytes: limit,
		ClockMode: *clockMode, Speed: speed, JournalSize: size, AdminToken: *adminToken, CallbackAllow: *callbackAllow,
		StateDir: *stateDir, StateInterval: interval, CallbackLoopbackHost: *loopbackHost,
		ReadHeaderTimeout: timeouts[0], ReadTimeout: timeouts[1], WriteTimeout: timeouts[2],
		ShutdownTimeout: timeouts[3], NotifyWorkers: nWorkers, MaxAwaits: nAwaits, Version: version,
		AllowedHosts: *allowedHosts, MaxPayments: nPayments, MaxCards: nCards, PublicURL: *publicURL,
	})
	if err != nil {
		fmt.Fprintln(stderr, "freedompay-mock:", err)
		if errors.Is(err, syscall.EADDRINUSE) {
			fmt.Fprintf(stderr, "freedompay-mock: another program listens on %s: stop it, or give the sandbox another address with --addr (or FREEDOMPAY_MOCK_ADDR), e.g. --addr :18080\n", *addr)
		}
		return 1
	}
	logger.Info("freedompay-mock listening", "url", s.URL(), "scenario", s.Scenario().Summary(),
		"seed", s.Seed(), "clock", s.Ready().Clock, "now", s.Clock().Now().Format(time.RFC3339), "version", mock.Version(version),
		"admin_token", *adminToken != "", "callback_allow", *callbackAllow, "callback_loopback_host", loopbackShown(*loopbackHost), "allowed_hosts", *allowedHosts, "journal_size", size, "state", *stateDir)

	<-ctx.Done()
	logger.Info("shutting down")
	if err := s.Close(); err != nil {
		logger.Error("shutdown", "err", err)
		return 1
	}
	return 0
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

func validate(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		w, code := stderr, 2
		if len(args) > 0 {
			w, code = stdout, 0
		}
		fmt.Fprintln(w, "usage: freedompay-mock validate FILE...")
		fmt.Fprintln(w, "Checks scenario files; exits 0 when all are valid, 2 listing every problem otherwise.")
		return code
	}
	code := 0
	for _, path := range args {
		sc, err := scenario.Load(path)
		if err != nil {
			fmt.Fprintln(stderr, err)
			code = 2
			continue
		}
		fmt.Fprintf(stdout, "%s: ok: %s\n", path, sc.Summary())
	}
	return code
}

func signCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	fs.SetOutput(stderr)
	script := fs.String("script", "", "script name, or the URL or path the message is sent to (its last segment is used)")
	secret := fs.String("secret", envDefault("secret", ""), "secret key (payout_secret_key for payout routes)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: freedompay-mock sign --script NAME --secret KEY pg_x=VALUE...")
		fmt.Fprintln(fs.Output(), "Prints the signing string (secret masked) on stderr and pg_sig on stdout.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stdout); !ok {
		return code
	}
	if *script == "" || *secret == "" {
		fs.Usage()
		return 2
	}
	var fields sign.Fields
	for _, a := range fs.Args() {
		name, value, ok := strings.Cut(a, "=")
		if !ok || name == "" {
			fmt.Fprintf(stderr, "freedompay-mock sign: %q is not name=value\n", a)
			return 2
		}
		fields = append(fields, sign.Field{Name: name, Value: value})
	}
	name := *script
	if strings.Contains(name, "/") {
		name = sign.ScriptName(name)
	}
	if name == "" {
		fmt.Fprintf(stderr, "freedompay-mock sign: --script %q names no script: give the script name (payout_status2) or a URL or path that ends in it\n", *script)
		return 2
	}
	if name != *script {
		fmt.Fprintf(stderr, "script name: %s (the last segment of %s; FreedomPay signs with the script name, never the path)\n", name, *script)
	}
	// Masked wherever the secret is, as the server's explanations are: a
	// field may hold it too.
	fmt.Fprintln(stderr, "signing string:", sign.Explain(name, fields, *secret).SigningString)
	fmt.Fprintln(stdout, sign.Sign(name, fields, *secret))
	return 0
}

// loopbackShown is --callback-loopback-host as the sandbox reads it, for
// the start-up line (the server has refused a value it cannot read).
func loopbackShown(flag string) string {
	h, _ := notify.ParseLoopbackHost(flag)
	return h
}
