package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
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
	{"log-prompts", "PLAYGROUND_LOG_PROMPTS", "log each run's request body, prompts included (keys never)"},
	{"trusted-proxies", "PLAYGROUND_TRUSTED_PROXIES", "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-Proto is believed"},
	{"pprof-addr", "PLAYGROUND_PPROF_ADDR", "serve Go's pprof profiles on this loopback host:port, for performance work (default: off)"},
	{"database-url", "PLAYGROUND_DATABASE_URL", "PostgreSQL URL (postgres://user:pass@host/db) for the history, shared by several instances (default: SQLite in the data directory)"},
	{"run-max-bytes", "PLAYGROUND_RUN_MAX_BYTES", "bytes one run may read from its provider (decoded); past it the run ends as truncated, its output kept"},
	{"run-max-events", "PLAYGROUND_RUN_MAX_EVENTS", "events one run may receive from its provider"},
	{"run-max-choices", "PLAYGROUND_RUN_MAX_CHOICES", "distinct choices one answer may have"},
	{"run-max-duration", "PLAYGROUND_RUN_MAX_DURATION", "longest a run may take, watched or not"},
	{"runs-max-bytes", "PLAYGROUND_RUNS_MAX_BYTES", "bytes all runs kept in memory may hold together (event logs and transcripts); the oldest finished runs are dropped first"},
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
var isBool = map[string]bool{"secure-cookie": true, "allow-private-upstreams": true, "log-prompts": true}

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
		"addr":                    cfg.Addr,
		"data-dir":                cfg.DataDir,
		"catalog":                 "",
		"session-keys":            "",
		"secure-cookie":           "false",
		"log-level":               "info",
		"read-timeout":            cfg.ReadTimeout.String(),
		"body-limit":              fmt.Sprint(cfg.BodyLimit),
		"connect-timeout":         cfg.ConnectTimeout.String(),
		"first-byte-timeout":      cfg.FirstByteTimeout.String(),
		"idle-timeout":            cfg.IdleTimeout.String(),
		"sim-ttft":                cfg.SimTTFT.String(),
		"sim-tps":                 "50",
		"allow-private-upstreams": "false",
		"runs-at-once":            fmt.Sprint(cfg.RunsAtOnce),
		"runs-per-minute":         fmt.Sprint(cfg.RunsPerMinute),
		"log-prompts":             "false",
		"trusted-proxies":         "",
		"run-max-bytes":           fmt.Sprint(cfg.RunMaxBytes),
		"run-max-events":          fmt.Sprint(cfg.RunMaxEvents),
		"run-max-choices":         fmt.Sprint(cfg.RunMaxChoices),
		"run-max-duration":        cfg.RunMaxDuration.String(),
		"runs-max-bytes":          fmt.Sprint(cfg.RunsMaxBytes),
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
	if _, err := fmt.Sscan(get("body-limit"), &cfg.BodyLimit); err != nil || cfg.BodyLimit < 1024 {
		return cfg, fmt.Errorf("--body-limit / PLAYGROUND_BODY_LIMIT: want a number of bytes, at least 1024")
	}
	return cfg, nil
}
