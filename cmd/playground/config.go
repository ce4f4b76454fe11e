package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/experiment"
	"github.com/playground-dev/playground/web/upstream"
)

// Config is every setting of the playground. Each has a flag and an
// environment variable; the flag wins.
type Config struct {
	Addr         string
	DataDir      string
	Catalog      string
	SessionKeys  string
	SecureCookie bool
	LogLevel     slog.Level
	ReadTimeout  time.Duration
	BodyLimit    int
	// Upstream timeouts.
	ConnectTimeout   time.Duration
	FirstByteTimeout time.Duration
	IdleTimeout      time.Duration
	// The built-in simulator's pacing; 0 tokens/s is zero-delay mode.
	SimTTFT         time.Duration
	SimTokensPerSec float64
	// AllowPrivateUpstreams lets providers people add reach loopback and
	// private addresses (off: the SSRF guard refuses them).
	AllowPrivateUpstreams bool
	// Per-session run limits; 0 is unlimited.
	RunsAtOnce    int
	RunsPerMinute int
	// The same per client address, and over every run on the operator's
	// keys; 0 is unlimited.
	ClientRunsAtOnce    int
	ClientRunsPerMinute int
	OperatorRunsAtOnce  int
	// RequireOwnKeys leaves the operator's keys unused: people run remote
	// providers on their own keys only.
	RequireOwnKeys bool
	// AllowedHosts are the Host names served; empty on a loopback address
	// means localhost and IP addresses only, elsewhere any name.
	AllowedHosts []string
	// MaxConnsPerIP and MaxConns bound open connections; BodyBudget the
	// bytes of request bodies received at once.
	MaxConnsPerIP int
	MaxConns      int
	BodyBudget    int
	// LogPrompts logs each run's request body (prompts, never keys).
	LogPrompts bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-Proto is
	// believed (to mark the session cookie Secure behind a TLS proxy).
	TrustedProxies []string
	// DatabaseURL, when set (postgres://…), keeps the history in
	// PostgreSQL instead of SQLite in the data directory.
	DatabaseURL string
	// PprofAddr, when set, serves net/http/pprof there (loopback only).
	PprofAddr string
	// What one run may take, and all runs hold (web/run Caps).
	RunMaxBytes    int64
	RunMaxEvents   int
	RunMaxChoices  int
	RunMaxDuration time.Duration
	RunsMaxBytes   int64
	// What the history keeps: bytes of one run, each session's quota
	// (bytes and runs) and the days a run is kept; 0 is no limit.
	HistoryRunMax        int64
	HistoryQuotaBytes    int64
	HistoryMaxBytes      int64
	HistoryQuotaRuns     int
	HistoryRetentionDays int
	// Provider answers and model lists: the most a compressed answer may
	// become once decompressed, the bytes of model lists kept for the
	// sessions' own providers, and how long a page waits for a first list.
	DecompressedLimit int64
	ModelCacheLimit   int64
	ModelsWait        time.Duration
	// Comparison diffs: how many are computed at once (more get 503) and
	// how long one may search for the finest diff.
	DiffsAtOnce int
	DiffTimeout time.Duration
	// ExperimentConfirmAbove is the estimated cost, by currency, above
	// which the experiment page asks before it starts.
	ExperimentConfirmAbove map[string]*big.Rat
}

// setting describes one configuration entry for flags, env and --help.
type setting struct {
	flag, env, usage string
}

var settings = []setting{
	{"addr", "PLAYGROUND_ADDR", "listen address (host:port)"},
	{"data-dir", "PLAYGROUND_DATA_DIR", "directory for session keys and history"},
	{"catalog", "PLAYGROUND_CATALOG", "extra catalog file (JSON or YAML) merged over the default"},
	{"session-keys", "PLAYGROUND_SESSION_KEYS", "session cookie keys, HASH:BLOCK hex pairs, newest first, comma-separated (default: generated and kept in the data directory)"},
	{"secure-cookie", "PLAYGROUND_SECURE_COOKIE", "mark the session cookie Secure (true when served over HTTPS)"},
	{"log-level", "PLAYGROUND_LOG_LEVEL", "debug, info, warn or error"},
	{"read-timeout", "PLAYGROUND_READ_TIMEOUT", "time to read a whole request"},
	{"body-limit", "PLAYGROUND_BODY_LIMIT", "largest request body in bytes"},
	{"connect-timeout", "PLAYGROUND_CONNECT_TIMEOUT", "time to connect to a provider"},
	{"first-byte-timeout", "PLAYGROUND_FIRST_BYTE_TIMEOUT", "time for a provider to start answering"},
	{"idle-timeout", "PLAYGROUND_IDLE_TIMEOUT", "longest a streamed answer may go without content (comments and keep-alives do not count)"},
	{"sim-ttft", "PLAYGROUND_SIM_TTFT", "the built-in simulator's time to first token"},
	{"sim-tps", "PLAYGROUND_SIM_TPS", "the built-in simulator's tokens per second (0: no delay at all)"},
	{"allow-private-upstreams", "PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS", "let providers people add reach loopback, private and link-local addresses (default false: refused)"},
	{"runs-at-once", "PLAYGROUND_RUNS_AT_ONCE", "runs one session may have going at once (0: no limit)"},
	{"runs-per-minute", "PLAYGROUND_RUNS_PER_MINUTE", "runs one session may start per minute (0: no limit)"},
	{"client-runs-at-once", "PLAYGROUND_CLIENT_RUNS_AT_ONCE", "runs one client address may have going at once, over all its sessions (0: no limit)"},
	{"client-runs-per-minute", "PLAYGROUND_CLIENT_RUNS_PER_MINUTE", "runs one client address may start per minute, over all its sessions (0: no limit)"},
	{"operator-runs-at-once", "PLAYGROUND_OPERATOR_RUNS_AT_ONCE", "runs on the operator's keys (from this environment) going at once, over everyone (0: no limit)"},
	{"require-own-keys", "PLAYGROUND_REQUIRE_OWN_KEYS", "never use the operator's keys: people run remote providers on keys they enter in Settings"},
	{"allowed-hosts", "PLAYGROUND_ALLOWED_HOSTS", "comma-separated Host names the playground answers for (.example.com: and its subdomains); default: on a loopback address localhost and IP addresses only, elsewhere any"},
	{"max-conns-per-ip", "PLAYGROUND_MAX_CONNS_PER_IP", "open connections one client address may hold (0: no limit; behind a proxy every client has the proxy's address)"},
	{"max-conns", "PLAYGROUND_MAX_CONNS", "open connections in all"},
	{"body-budget", "PLAYGROUND_BODY_BUDGET", "bytes of request bodies the server receives at once, over all connections"},
	{"log-prompts", "PLAYGROUND_LOG_PROMPTS", "log each run's request body, prompts included (keys never)"},
	{"trusted-proxies", "PLAYGROUND_TRUSTED_PROXIES", "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-Proto is believed"},
	{"pprof-addr", "PLAYGROUND_PPROF_ADDR", "serve Go's pprof profiles on this loopback host:port, for performance work (default: off)"},
	{"decompressed-limit", "PLAYGROUND_DECOMPRESSED_LIMIT", "largest a provider's compressed answer may become once decompressed, in bytes"},
	{"model-cache-limit", "PLAYGROUND_MODEL_CACHE_LIMIT", "bytes of model lists kept for the providers people add, all sessions together"},
	{"models-wait", "PLAYGROUND_MODELS_WAIT", "how long a page waits for a provider people added to list its models (the listing goes on behind)"},
	{"diffs-at-once", "PLAYGROUND_DIFFS_AT_ONCE", "comparison diffs computed at once; more are answered 503 (busy)"},
	{"diff-timeout", "PLAYGROUND_DIFF_TIMEOUT", "longest search for the finest diff of two answers; past it the diff is coarser"},
	{"experiment-confirm-above", "PLAYGROUND_EXPERIMENT_CONFIRM_ABOVE", "estimated cost of an experiment above which the page asks before starting, CURRENCY=AMOUNT pairs (a currency not named always asks)"},
	{"database-url", "PLAYGROUND_DATABASE_URL", "PostgreSQL URL (postgres://user:pass@host/db) for the history, shared by several instances (default: SQLite in the data directory)"},
	{"run-max-bytes", "PLAYGROUND_RUN_MAX_BYTES", "bytes one run may read from its provider (decoded); past it the run ends as truncated, its output kept"},
	{"run-max-events", "PLAYGROUND_RUN_MAX_EVENTS", "events one run may receive from its provider"},
	{"run-max-choices", "PLAYGROUND_RUN_MAX_CHOICES", "distinct choices one answer may have"},
	{"run-max-duration", "PLAYGROUND_RUN_MAX_DURATION", "longest a run may take, watched or not"},
	{"runs-max-bytes", "PLAYGROUND_RUNS_MAX_BYTES", "bytes all runs kept in memory may hold together (event logs and transcripts); the oldest finished runs are dropped first"},
	{"history-run-max", "PLAYGROUND_HISTORY_RUN_MAX", "bytes the history keeps of one run; past it the answer and stream are cut, a larger request is kept without its body (0: no limit)"},
	{"history-quota-bytes", "PLAYGROUND_HISTORY_QUOTA_BYTES", "bytes of history per session; past it the oldest runs are deleted, unshared first (0: no limit)"},
	{"history-max-bytes", "PLAYGROUND_HISTORY_MAX_BYTES", "bytes of history in all, every session together; past it the oldest runs of anyone are deleted, unshared first, within a minute (0: no limit)"},
	{"history-quota-runs", "PLAYGROUND_HISTORY_QUOTA_RUNS", "runs of history per session; past it the oldest runs are deleted, unshared first (0: no limit)"},
	{"history-retention-days", "PLAYGROUND_HISTORY_RETENTION_DAYS", "days a run is kept in the history (0: forever)"},
}

// DefaultConfig is the configuration with nothing set.
func DefaultConfig(getenv func(string) string) Config {
	return Config{
		Addr:             "127.0.0.1:8080",
		DataDir:          defaultDataDir(getenv),
		LogLevel:         slog.LevelInfo,
		ReadTimeout:      30 * time.Second,
		BodyLimit:        20 << 20,
		ConnectTimeout:   10 * time.Second,
		FirstByteTimeout: 5 * time.Minute,
		IdleTimeout:      5 * time.Minute,
		SimTTFT:          400 * time.Millisecond,
		SimTokensPerSec:  50,
		RunsAtOnce:       6,
		RunsPerMinute:    30,
		RunMaxBytes:      16 << 20,
		RunMaxEvents:     1_000_000,
		RunMaxChoices:    128,
		RunMaxDuration:   30 * time.Minute,
		RunsMaxBytes:     512 << 20,
		// Twice a session's: a household or an office behind one address.
		ClientRunsAtOnce:    12,
		ClientRunsPerMinute: 60,
		OperatorRunsAtOnce:  32,
		MaxConnsPerIP:       64,
		MaxConns:            4096,
		BodyBudget:          256 << 20,
		// history.DefaultLimits: 8 MB a run, 200 MB and 5,000 runs a
		// session, 90 days.
		HistoryRunMax:        8 << 20,
		HistoryQuotaBytes:    200 << 20,
		HistoryMaxBytes:      4 << 30,
		HistoryQuotaRuns:     5000,
		HistoryRetentionDays: 90,
		// The defaults live with the code that applies them.
		DecompressedLimit: upstream.DefaultMaxDecompressed,
		ModelCacheLimit:   account.DefaultCacheBytes,
		ModelsWait:        account.DefaultWait,
		DiffsAtOnce:       2,
		DiffTimeout:       time.Second,
	}
}

func defaultDataDir(getenv func(string) string) string {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "playground")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "playground")
	}
	return filepath.Join(os.TempDir(), "playground")
}

// isBool lists the settings that are switches: --flag alone means true.
var isBool = map[string]bool{"secure-cookie": true, "allow-private-upstreams": true, "log-prompts": true, "require-own-keys": true}

// boolFlag is a switch kept as text, checked with the other settings.
type boolFlag string

func (b *boolFlag) String() string     { return string(*b) }
func (b *boolFlag) Set(v string) error { *b = boolFlag(v); return nil }
func (b *boolFlag) IsBoolFlag() bool   { return true }

// errHelp is returned when --help was asked for; the usage is printed.
var errHelp = errors.New("help requested")

// LoadConfig reads the environment, then the flags in args.
func LoadConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	cfg := DefaultConfig(getenv)
	def := cfg
	vals := map[string]string{
		"addr":                     cfg.Addr,
		"data-dir":                 cfg.DataDir,
		"catalog":                  "",
		"session-keys":             "",
		"secure-cookie":            "false",
		"log-level":                "info",
		"read-timeout":             cfg.ReadTimeout.String(),
		"body-limit":               fmt.Sprint(cfg.BodyLimit),
		"connect-timeout":          cfg.ConnectTimeout.String(),
		"first-byte-timeout":       cfg.FirstByteTimeout.String(),
		"idle-timeout":             cfg.IdleTimeout.String(),
		"sim-ttft":                 cfg.SimTTFT.String(),
		"sim-tps":                  "50",
		"allow-private-upstreams":  "false",
		"runs-at-once":             fmt.Sprint(cfg.RunsAtOnce),
		"runs-per-minute":          fmt.Sprint(cfg.RunsPerMinute),
		"client-runs-at-once":      fmt.Sprint(cfg.ClientRunsAtOnce),
		"client-runs-per-minute":   fmt.Sprint(cfg.ClientRunsPerMinute),
		"operator-runs-at-once":    fmt.Sprint(cfg.OperatorRunsAtOnce),
		"require-own-keys":         "false",
		"allowed-hosts":            "",
		"max-conns-per-ip":         fmt.Sprint(cfg.MaxConnsPerIP),
		"max-conns":                fmt.Sprint(cfg.MaxConns),
		"body-budget":              fmt.Sprint(cfg.BodyBudget),
		"log-prompts":              "false",
		"trusted-proxies":          "",
		"run-max-bytes":            fmt.Sprint(cfg.RunMaxBytes),
		"run-max-events":           fmt.Sprint(cfg.RunMaxEvents),
		"run-max-choices":          fmt.Sprint(cfg.RunMaxChoices),
		"run-max-duration":         cfg.RunMaxDuration.String(),
		"runs-max-bytes":           fmt.Sprint(cfg.RunsMaxBytes),
		"history-run-max":          fmt.Sprint(cfg.HistoryRunMax),
		"history-quota-bytes":      fmt.Sprint(cfg.HistoryQuotaBytes),
		"history-max-bytes":        fmt.Sprint(cfg.HistoryMaxBytes),
		"history-quota-runs":       fmt.Sprint(cfg.HistoryQuotaRuns),
		"history-retention-days":   fmt.Sprint(cfg.HistoryRetentionDays),
		"decompressed-limit":       fmt.Sprint(cfg.DecompressedLimit),
		"model-cache-limit":        fmt.Sprint(cfg.ModelCacheLimit),
		"models-wait":              cfg.ModelsWait.String(),
		"diffs-at-once":            fmt.Sprint(cfg.DiffsAtOnce),
		"diff-timeout":             cfg.DiffTimeout.String(),
		"experiment-confirm-above": "USD=1,CNY=7.2",
	}
	for _, s := range settings {
		if v := getenv(s.env); v != "" {
			vals[s.flag] = v
		}
	}
	fs := flag.NewFlagSet("playground", flag.ContinueOnError)
	fs.SetOutput(out)
	ptrs := map[string]*string{}
	for _, s := range settings {
		if isBool[s.flag] {
			v := boolFlag(vals[s.flag])
			fs.Var(&v, s.flag, s.usage+" ($"+s.env+")")
			ptrs[s.flag] = (*string)(&v)
			continue
		}
		ptrs[s.flag] = fs.String(s.flag, vals[s.flag], s.usage+" ($"+s.env+")")
	}
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: playground [flags]\n\nA browser playground for OpenAI-compatible APIs. Every flag can also be set\nwith the environment variable named after it; the flag wins.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, errHelp
		}
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	get := func(name string) string { return strings.TrimSpace(*ptrs[name]) }
	cfg.Addr = get("addr")
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return cfg, fmt.Errorf("--addr / PLAYGROUND_ADDR: %q is not host:port", cfg.Addr)
	}
	cfg.DataDir = get("data-dir")
	if cfg.DataDir == "" {
		cfg.DataDir = def.DataDir
	}
	cfg.Catalog = get("catalog")
	cfg.DatabaseURL = get("database-url")
	if cfg.PprofAddr = get("pprof-addr"); cfg.PprofAddr != "" {
		host, _, err := net.SplitHostPort(cfg.PprofAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return cfg, fmt.Errorf("--pprof-addr / PLAYGROUND_PPROF_ADDR: want a loopback host:port such as 127.0.0.1:6060")
		}
	}
	if u := cfg.DatabaseURL; u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		return cfg, fmt.Errorf("--database-url / PLAYGROUND_DATABASE_URL: want a postgres:// URL")
	}
	cfg.SessionKeys = get("session-keys")
	for _, b := range []struct {
		name, env string
		dst       *bool
	}{
		{"secure-cookie", "PLAYGROUND_SECURE_COOKIE", &cfg.SecureCookie},
		{"allow-private-upstreams", "PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS", &cfg.AllowPrivateUpstreams},
		{"log-prompts", "PLAYGROUND_LOG_PROMPTS", &cfg.LogPrompts},
		{"require-own-keys", "PLAYGROUND_REQUIRE_OWN_KEYS", &cfg.RequireOwnKeys},
	} {
		switch strings.ToLower(get(b.name)) {
		case "true", "1", "yes":
			*b.dst = true
		case "false", "0", "no", "":
			*b.dst = false
		default:
			return cfg, fmt.Errorf("--%s / %s: want true or false", b.name, b.env)
		}
	}
	for _, p := range strings.Split(get("trusted-proxies"), ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				return cfg, fmt.Errorf("--trusted-proxies / PLAYGROUND_TRUSTED_PROXIES: %q is not an IP address or CIDR", p)
			}
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, p)
	}
	for _, n := range []struct {
		name, env string
		dst       *int
	}{
		{"runs-at-once", "PLAYGROUND_RUNS_AT_ONCE", &cfg.RunsAtOnce},
		{"runs-per-minute", "PLAYGROUND_RUNS_PER_MINUTE", &cfg.RunsPerMinute},
		{"client-runs-at-once", "PLAYGROUND_CLIENT_RUNS_AT_ONCE", &cfg.ClientRunsAtOnce},
		{"client-runs-per-minute", "PLAYGROUND_CLIENT_RUNS_PER_MINUTE", &cfg.ClientRunsPerMinute},
		{"operator-runs-at-once", "PLAYGROUND_OPERATOR_RUNS_AT_ONCE", &cfg.OperatorRunsAtOnce},
		{"max-conns-per-ip", "PLAYGROUND_MAX_CONNS_PER_IP", &cfg.MaxConnsPerIP},
	} {
		if _, err := fmt.Sscan(get(n.name), n.dst); err != nil || *n.dst < 0 {
			return cfg, fmt.Errorf("--%s / %s: want a whole number, 0 for no limit", n.name, n.env)
		}
	}
	for _, n := range []struct {
		name, env string
		dst       *int64
		least     int64
	}{
		{"run-max-bytes", "PLAYGROUND_RUN_MAX_BYTES", &cfg.RunMaxBytes, 1024},
		{"runs-max-bytes", "PLAYGROUND_RUNS_MAX_BYTES", &cfg.RunsMaxBytes, 1024},
	} {
		if _, err := fmt.Sscan(get(n.name), n.dst); err != nil || *n.dst < n.least {
			return cfg, fmt.Errorf("--%s / %s: want a number of bytes, at least %d", n.name, n.env, n.least)
		}
	}
	for _, h := range strings.Split(get("allowed-hosts"), ",") {
		if h = strings.TrimSpace(h); h == "" {
			continue
		}
		if strings.ContainsAny(h, "/:@ ") {
			return cfg, fmt.Errorf("--allowed-hosts / PLAYGROUND_ALLOWED_HOSTS: %q is not a host name (no scheme, port or path)", h)
		}
		cfg.AllowedHosts = append(cfg.AllowedHosts, h)
	}
	if _, err := fmt.Sscan(get("max-conns"), &cfg.MaxConns); err != nil || cfg.MaxConns < 16 {
		return cfg, fmt.Errorf("--max-conns / PLAYGROUND_MAX_CONNS: want a whole number, at least 16")
	}
	for _, n := range []struct {
		name, env string
		dst       *int64
	}{
		{"history-run-max", "PLAYGROUND_HISTORY_RUN_MAX", &cfg.HistoryRunMax},
		{"history-quota-bytes", "PLAYGROUND_HISTORY_QUOTA_BYTES", &cfg.HistoryQuotaBytes},
		{"history-max-bytes", "PLAYGROUND_HISTORY_MAX_BYTES", &cfg.HistoryMaxBytes},
	} {
		v, err := strconv.ParseInt(get(n.name), 10, 64)
		if err != nil || v < 0 || v > 0 && v < 64<<10 {
			return cfg, fmt.Errorf("--%s / %s: want a number of bytes, at least 65536, or 0 for no limit", n.name, n.env)
		}
		*n.dst = v
	}
	for _, n := range []struct {
		name, env string
		dst       *int
	}{
		{"run-max-events", "PLAYGROUND_RUN_MAX_EVENTS", &cfg.RunMaxEvents},
		{"run-max-choices", "PLAYGROUND_RUN_MAX_CHOICES", &cfg.RunMaxChoices},
	} {
		if _, err := fmt.Sscan(get(n.name), n.dst); err != nil || *n.dst < 1 {
			return cfg, fmt.Errorf("--%s / %s: want a whole number, at least 1", n.name, n.env)
		}
	}
	for _, n := range []struct {
		name, env string
		dst       *int
	}{
		{"history-quota-runs", "PLAYGROUND_HISTORY_QUOTA_RUNS", &cfg.HistoryQuotaRuns},
		{"history-retention-days", "PLAYGROUND_HISTORY_RETENTION_DAYS", &cfg.HistoryRetentionDays},
	} {
		v, err := strconv.Atoi(get(n.name))
		if err != nil || v < 0 {
			return cfg, fmt.Errorf("--%s / %s: want a whole number, 0 for no limit", n.name, n.env)
		}
		*n.dst = v
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(get("log-level"))); err != nil {
		return cfg, fmt.Errorf("--log-level / PLAYGROUND_LOG_LEVEL: %v", err)
	}
	d, err := time.ParseDuration(get("read-timeout"))
	if err != nil || d <= 0 {
		return cfg, fmt.Errorf("--read-timeout / PLAYGROUND_READ_TIMEOUT: want a duration like 30s")
	}
	cfg.ReadTimeout = d
	for _, t := range []struct {
		name string
		dst  *time.Duration
	}{{"connect-timeout", &cfg.ConnectTimeout}, {"first-byte-timeout", &cfg.FirstByteTimeout}, {"idle-timeout", &cfg.IdleTimeout},
		{"run-max-duration", &cfg.RunMaxDuration}} {
		d, err := time.ParseDuration(get(t.name))
		if err != nil || d <= 0 {
			return cfg, fmt.Errorf("--%s: want a duration like 30s or 5m", t.name)
		}
		*t.dst = d
	}
	if d, err := time.ParseDuration(get("sim-ttft")); err != nil || d < 0 {
		return cfg, fmt.Errorf("--sim-ttft / PLAYGROUND_SIM_TTFT: want a duration like 400ms")
	} else {
		cfg.SimTTFT = d
	}
	if _, err := fmt.Sscan(get("sim-tps"), &cfg.SimTokensPerSec); err != nil || cfg.SimTokensPerSec < 0 {
		return cfg, fmt.Errorf("--sim-tps / PLAYGROUND_SIM_TPS: want a number of tokens per second (0 for no delay)")
	}
	if _, err := fmt.Sscan(get("diffs-at-once"), &cfg.DiffsAtOnce); err != nil || cfg.DiffsAtOnce < 1 {
		return cfg, fmt.Errorf("--diffs-at-once / PLAYGROUND_DIFFS_AT_ONCE: want a whole number, at least 1")
	}
	if d, err := time.ParseDuration(get("diff-timeout")); err != nil || d <= 0 {
		return cfg, fmt.Errorf("--diff-timeout / PLAYGROUND_DIFF_TIMEOUT: want a duration like 1s")
	} else {
		cfg.DiffTimeout = d
	}
	if t, err := experiment.ParseThresholds(get("experiment-confirm-above")); err != nil {
		return cfg, fmt.Errorf("--experiment-confirm-above / PLAYGROUND_EXPERIMENT_CONFIRM_ABOVE: %v", err)
	} else {
		cfg.ExperimentConfirmAbove = t
	}
	if _, err := fmt.Sscan(get("body-limit"), &cfg.BodyLimit); err != nil || cfg.BodyLimit < 1024 {
		return cfg, fmt.Errorf("--body-limit / PLAYGROUND_BODY_LIMIT: want a number of bytes, at least 1024")
	}
	if _, err := fmt.Sscan(get("body-budget"), &cfg.BodyBudget); err != nil || cfg.BodyBudget < cfg.BodyLimit {
		return cfg, fmt.Errorf("--body-budget / PLAYGROUND_BODY_BUDGET: want a number of bytes, at least the body limit (%d)", cfg.BodyLimit)
	}
	for _, n := range []struct {
		name, env string
		dst       *int64
	}{
		{"decompressed-limit", "PLAYGROUND_DECOMPRESSED_LIMIT", &cfg.DecompressedLimit},
		{"model-cache-limit", "PLAYGROUND_MODEL_CACHE_LIMIT", &cfg.ModelCacheLimit},
	} {
		if _, err := fmt.Sscan(get(n.name), n.dst); err != nil || *n.dst < 1<<20 {
			return cfg, fmt.Errorf("--%s / %s: want a number of bytes, at least 1048576 (1 MB)", n.name, n.env)
		}
	}
	if d, err := time.ParseDuration(get("models-wait")); err != nil || d <= 0 {
		return cfg, fmt.Errorf("--models-wait / PLAYGROUND_MODELS_WAIT: want a duration like 2s")
	} else {
		cfg.ModelsWait = d
	}
	return cfg, nil
}
