package docs

// The checks of deploying.md and its examples in examples/deploy/: the
// nginx config passes nginx -t; compose.yaml and kubernetes.yaml run three
// instances that share the database URL and session keys, probe the real
// health path and set only variables the playground reads; every flag the
// guide names is one cmd/playground defines. Docker and Kubernetes
// themselves are not run here.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const deployDir = "examples/deploy"

// playgroundSettings is cmd/playground's flag table (config.go's
// settings): each flag's environment variable.
func playgroundSettings(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "../cmd/playground/config.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || len(spec.Names) != 1 || spec.Names[0].Name != "settings" || len(spec.Values) != 1 {
			return true
		}
		list, ok := spec.Values[0].(*ast.CompositeLit)
		if !ok {
			return true
		}
		for _, el := range list.Elts {
			row, ok := el.(*ast.CompositeLit)
			if !ok || len(row.Elts) < 2 {
				continue
			}
			var s [2]string
			for i := range s {
				lit, ok := row.Elts[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				s[i], _ = strconv.Unquote(lit.Value)
			}
			if s[0] != "" && s[1] != "" {
				out[s[0]] = s[1]
			}
		}
		return false
	})
	if len(out) < 30 {
		t.Fatalf("found %d settings in cmd/playground/config.go: the table's shape changed, update this test", len(out))
	}
	return out
}

// envNames is the set of environment variables the playground reads.
func envNames(t *testing.T) map[string]bool {
	out := map[string]bool{}
	for _, env := range playgroundSettings(t) {
		out[env] = true
	}
	return out
}

// healthPath is the path handlers/routes.go serves Health on (liveness).
func healthPath(t *testing.T) string { return routeOf(t, "Health") }

// readyPath is the path it serves Ready on (readiness).
func readyPath(t *testing.T) string { return routeOf(t, "Ready") }

// routeOf is the path handlers/routes.go serves handler on.
func routeOf(t *testing.T, handler string) string {
	t.Helper()
	b, err := os.ReadFile("../handlers/routes.go")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`app\.Get\("([^"]+)", ` + handler + `\(`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no %s route in handlers/routes.go: update this test", handler)
	}
	return string(m[1])
}

// defaultOf is the number a field of config.go's DefaultConfig is set to,
// written as "N << 20" (bytes) or "N * time.Minute".
func defaultOf(t *testing.T, field, unit string) int64 {
	t.Helper()
	b, err := os.ReadFile("../cmd/playground/config.go")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*` + field + `:\s+(\d+) ` + regexp.QuoteMeta(unit) + `,`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("DefaultConfig no longer sets %s to N %s: update this test", field, unit)
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return n
}

func nginxBinary(t *testing.T) string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	if os.Getenv("CI") != "" {
		t.Fatal("nginx is not installed (Debian's nginx package; .ci/run installs it)")
	}
	t.Skip("nginx is not installed; the example nginx.conf is checked where it is (.ci/run)")
	return ""
}

// TestDeployNginxConfig runs nginx -t on examples/deploy/nginx.conf, its
// absolute paths (certificate, temporary files, pid) moved into a
// temporary directory and a throwaway certificate made for it, and checks
// the settings docs/deploying.md asks of a balancer.
func TestDeployNginxConfig(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(deployDir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(src)
	for _, want := range []string{
		"proxy_buffering off;",
		"proxy_http_version 1.1;",
		`proxy_set_header Connection "";`,
		"proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
		"proxy_set_header X-Forwarded-Proto $scheme;",
		"proxy_set_header Host $http_host;",
		"keepalive ",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("nginx.conf lacks %q", want)
		}
	}
	for _, sticky := range []string{"ip_hash", "hash ", "sticky", "least_conn"} {
		if regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(sticky)).MatchString(conf) {
			t.Errorf("nginx.conf uses %q: the example is plain round robin", sticky)
		}
	}
	if got := upstreams(conf); len(got) != 3 {
		t.Errorf("nginx.conf balances %d instances, want 3: %v", len(got), got)
	}
	bodyMB := defaultOf(t, "BodyLimit", "<< 20")
	if m := regexp.MustCompile(`client_max_body_size (\d+)m;`).FindStringSubmatch(conf); m == nil || m[1] != strconv.FormatInt(bodyMB, 10) {
		t.Errorf("nginx.conf's client_max_body_size is not %dm, the default --body-limit", bodyMB)
	}
	runMax := time.Duration(defaultOf(t, "RunMaxDuration", "* time.Minute")) * time.Minute
	if m := regexp.MustCompile(`proxy_read_timeout (\d+)([smh]);`).FindStringSubmatch(conf); m == nil {
		t.Error("nginx.conf sets no proxy_read_timeout")
	} else if d, _ := time.ParseDuration(m[1] + m[2]); d < runMax {
		t.Errorf("nginx.conf's proxy_read_timeout %s is shorter than the default --run-max-duration %s", d, runMax)
	}

	bin := nginxBinary(t)
	dir := t.TempDir()
	for _, d := range []string{"tls", "cache"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeCert(t, filepath.Join(dir, "tls", "fullchain.pem"), filepath.Join(dir, "tls", "privkey.pem"))
	moved := strings.NewReplacer(
		"/etc/nginx/tls/", filepath.Join(dir, "tls")+"/",
		"/var/cache/nginx/", filepath.Join(dir, "cache")+"/",
		"/run/nginx.pid", filepath.Join(dir, "nginx.pid"),
	).Replace(conf)
	// Whatever absolute path is left must exist here as it would in the
	// nginx image.
	for _, m := range regexp.MustCompile(`\s(/[^\s;]+);`).FindAllStringSubmatch(moved, -1) {
		if !strings.HasPrefix(m[1], dir) && m[1] != "/dev/stdout" {
			t.Errorf("nginx.conf names %s, which this test does not move", m[1])
		}
	}
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-t", "-p", dir, "-c", path).CombinedOutput()
	if err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("test is successful")) {
		t.Fatalf("nginx -t said:\n%s", out)
	}
}

// upstreams is the host:port of each server of nginx.conf's upstream
// block.
func upstreams(conf string) []string {
	var out []string
	in := false
	for _, line := range strings.Split(conf, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "upstream":
			in = true
		case in && len(f) > 0 && f[0] == "}":
			in = false
		case in && len(f) >= 2 && f[0] == "server":
			out = append(out, strings.TrimSuffix(f[1], ";"))
		}
	}
	return out
}

// writeCert writes a self-signed certificate and its key, for nginx -t.
func writeCert(t *testing.T, certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "playground.example.com"},
		DNSNames:     []string{"playground.example.com"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// yamlDocs decodes every document of a YAML file (merge keys resolved).
func yamlDocs(t *testing.T, name string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("%s: %v", name, err)
		}
		if doc != nil {
			out = append(out, doc)
		}
	}
	return out
}

// at walks YAML maps and lists by key or index.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// checkEnv checks that every PLAYGROUND_* variable is one the playground
// reads, and that the address listens on port.
func checkEnv(t *testing.T, where string, env map[string]any, known map[string]bool, port string) {
	t.Helper()
	for name := range env {
		if strings.HasPrefix(name, "PLAYGROUND_") && !known[name] {
			t.Errorf("%s sets %s, which cmd/playground/config.go does not define", where, name)
		}
	}
	addr := str(env["PLAYGROUND_ADDR"])
	host, p, err := net.SplitHostPort(addr)
	if err != nil || p != port || host == "127.0.0.1" || host == "localhost" {
		t.Errorf("%s listens on %q, want every address on port %s", where, addr, port)
	}
	for _, name := range []string{"PLAYGROUND_DATABASE_URL", "PLAYGROUND_SESSION_KEYS", "PLAYGROUND_DATA_DIR", "PLAYGROUND_TRUSTED_PROXIES"} {
		if env[name] == nil || str(env[name]) == "" {
			t.Errorf("%s does not set %s", where, name)
		}
	}
}

// TestDeployCompose checks compose.yaml: three instances built from this
// repository with the example Dockerfile, one database URL and one source
// of session keys, health checked on the real path, behind nginx at the
// address they trust, which balances exactly them.
func TestDeployCompose(t *testing.T) {
	docs := yamlDocs(t, "compose.yaml")
	if len(docs) != 1 {
		t.Fatalf("compose.yaml has %d documents", len(docs))
	}
	services, _ := at(docs[0], "services").(map[string]any)
	// Compose's health check gates the balancer: readiness.
	known, health := envNames(t), readyPath(t)
	conf, err := os.ReadFile(filepath.Join(deployDir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var instances []string
	var dbURL, keys string
	var addrs []string
	for name, svc := range services {
		env, _ := at(svc, "environment").(map[string]any)
		if env["PLAYGROUND_DATABASE_URL"] == nil && at(svc, "build") == nil {
			continue
		}
		instances = append(instances, name)
		where := "compose.yaml's " + name
		checkEnv(t, where, env, known, "8080")
		if dbURL == "" {
			dbURL, keys = str(env["PLAYGROUND_DATABASE_URL"]), str(env["PLAYGROUND_SESSION_KEYS"])
		}
		if str(env["PLAYGROUND_DATABASE_URL"]) != dbURL || str(env["PLAYGROUND_SESSION_KEYS"]) != keys {
			t.Errorf("%s has another database URL or session keys than the others", where)
		}
		if !strings.HasPrefix(dbURL, "postgres://") || !strings.Contains(dbURL, "@postgres:5432/") {
			t.Errorf("%s's database URL %q is not the postgres service's", where, dbURL)
		}
		if !strings.Contains(keys, "${PLAYGROUND_SESSION_KEYS") {
			t.Errorf("%s's session keys %q do not come from the environment (.env)", where, keys)
		}
		ctx := filepath.Join(deployDir, str(at(svc, "build", "context")))
		if _, err := os.Stat(filepath.Join(ctx, "go.mod")); err != nil {
			t.Errorf("%s is not built from the repository's root: %v", where, err)
		}
		df, _ := filepath.Abs(filepath.Join(ctx, str(at(svc, "build", "dockerfile"))))
		if ours, _ := filepath.Abs(filepath.Join(deployDir, "Dockerfile")); df != ours {
			t.Errorf("%s is built with %s, not %s/Dockerfile", where, df, deployDir)
		}
		if !strings.Contains(fmt.Sprint(at(svc, "healthcheck", "test")), "127.0.0.1:8080"+health) {
			t.Errorf("%s's health check is not on %s", where, health)
		}
		addrs = append(addrs, str(at(svc, "networks", "default", "ipv4_address"))+":8080")
	}
	if len(instances) != 3 {
		t.Fatalf("compose.yaml runs %d playground instances (%v), want 3", len(instances), instances)
	}
	got := upstreams(string(conf))
	slices.Sort(got)
	slices.Sort(addrs)
	if !slices.Equal(got, addrs) {
		t.Errorf("nginx.conf balances %v, compose.yaml's instances are at %v", got, addrs)
	}
	nginx := services["nginx"]
	proxy := str(at(nginx, "networks", "default", "ipv4_address"))
	for _, name := range instances {
		if trusted := str(at(services[name], "environment", "PLAYGROUND_TRUSTED_PROXIES")); trusted != proxy {
			t.Errorf("compose.yaml's %s trusts %q, but nginx is at %q", name, trusted, proxy)
		}
	}
	if !strings.Contains(fmt.Sprint(at(nginx, "volumes")), "./nginx.conf:/etc/nginx/nginx.conf") {
		t.Error("compose.yaml's nginx does not run nginx.conf")
	}
	if at(services, "postgres", "image") == nil {
		t.Error("compose.yaml has no postgres service")
	}
}

// TestDeployKubernetes checks kubernetes.yaml: a Deployment of 3 replicas
// whose database URL and session keys come from the Secret, probed on the
// real health path at the port the instance listens on, behind a Service
// that selects its pods.
func TestDeployKubernetes(t *testing.T) {
	byKind := map[string]map[string]any{}
	for _, doc := range yamlDocs(t, "kubernetes.yaml") {
		byKind[str(doc["kind"])] = doc
	}
	dep, secret, svc := byKind["Deployment"], byKind["Secret"], byKind["Service"]
	if dep == nil || secret == nil || svc == nil {
		t.Fatalf("kubernetes.yaml lacks a Deployment, Secret or Service: %v", slices.Collect(maps.Keys(byKind)))
	}
	if r := str(at(dep, "spec", "replicas")); r != "3" {
		t.Errorf("the Deployment has %s replicas, want 3", r)
	}
	pod := at(dep, "spec", "template")
	containers, _ := at(pod, "spec", "containers").([]any)
	if len(containers) != 1 {
		t.Fatalf("the pod has %d containers, want 1", len(containers))
	}
	c := containers[0]
	env := map[string]any{}
	refs := map[string][2]string{}
	list, _ := at(c, "env").([]any)
	for _, e := range list {
		name := str(at(e, "name"))
		if ref := at(e, "valueFrom", "secretKeyRef"); ref != nil {
			refs[name] = [2]string{str(at(ref, "name")), str(at(ref, "key"))}
			env[name] = "from the Secret"
			continue
		}
		env[name] = at(e, "value")
	}
	port := ""
	ports, _ := at(c, "ports").([]any)
	for _, p := range ports {
		if str(at(p, "name")) == "http" {
			port = str(at(p, "containerPort"))
		}
	}
	checkEnv(t, "kubernetes.yaml", env, envNames(t), port)
	for _, name := range []string{"PLAYGROUND_DATABASE_URL", "PLAYGROUND_SESSION_KEYS"} {
		ref, ok := refs[name]
		if !ok {
			t.Errorf("%s is not taken from the Secret", name)
			continue
		}
		if ref[0] != str(at(secret, "metadata", "name")) || at(secret, "stringData", ref[1]) == nil && at(secret, "data", ref[1]) == nil {
			t.Errorf("%s names %s/%s, which the Secret does not hold", name, ref[0], ref[1])
		}
	}
	for probe, health := range map[string]string{"startupProbe": healthPath(t), "readinessProbe": readyPath(t), "livenessProbe": healthPath(t)} {
		p := at(c, probe, "httpGet")
		if p == nil {
			t.Errorf("the container has no %s on HTTP", probe)
			continue
		}
		if str(at(p, "path")) != health || (str(at(p, "port")) != "http" && str(at(p, "port")) != port) {
			t.Errorf("the %s asks %v, want %s on the http port", probe, p, health)
		}
	}
	labels, _ := at(pod, "metadata", "labels").(map[string]any)
	sel, _ := at(svc, "spec", "selector").(map[string]any)
	for k, v := range sel {
		if str(labels[k]) != str(v) {
			t.Errorf("the Service selects %s=%v, which the pods are not labelled", k, v)
		}
	}
	if len(sel) == 0 {
		t.Error("the Service selects nothing")
	}
	if tp := str(at(svc, "spec", "ports", 0, "targetPort")); tp != "http" && tp != port {
		t.Errorf("the Service sends to port %s, the instance listens on %s", tp, port)
	}
}

// TestDeployDockerfile checks that the example image builds the command
// with a Go at least the one go.mod asks for.
func TestDeployDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("go build")) || !bytes.Contains(b, []byte("./cmd/playground")) {
		t.Error("the Dockerfile does not go build ./cmd/playground")
	}
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindSubmatch(mod)
	got := regexp.MustCompile(`(?m)^FROM golang:(\d+)\.(\d+)`).FindSubmatch(b)
	if want == nil || got == nil {
		t.Fatalf("no Go version in go.mod or no golang stage in the Dockerfile")
	}
	if string(got[1]) != string(want[1]) || string(got[2]) != string(want[2]) {
		t.Errorf("the Dockerfile builds with Go %s.%s, go.mod asks for %s.%s", got[1], got[2], want[1], want[2])
	}
}

// TestDeployingNamesRealSettings checks that every flag deploying.md names
// (`--name` in inline code, or an argument of a playground command in a
// code block) and every PLAYGROUND_ variable are the playground's.
func TestDeployingNamesRealSettings(t *testing.T) {
	b, err := os.ReadFile("deploying.md")
	if err != nil {
		t.Fatal(err)
	}
	settings := playgroundSettings(t)
	known := envNames(t)
	doc := string(b)
	// `--name` in inline code outside code blocks; in them, the flags of
	// a playground command.
	var flags []string
	inline := regexp.MustCompile("`(--[a-z][a-z0-9-]*)[^`]*`")
	inCode := false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inCode = !inCode
			continue
		}
		if !inCode {
			for _, m := range inline.FindAllStringSubmatch(line, -1) {
				flags = append(flags, m[1])
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasSuffix(f[0], "playground") && !strings.Contains(line, "go run ./cmd/playground") {
			continue
		}
		for _, w := range f {
			if strings.HasPrefix(w, "--") {
				flags = append(flags, w)
			}
		}
	}
	for _, f := range flags {
		name, _, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if _, ok := settings[name]; !ok && name != "help" {
			t.Errorf("deploying.md names %s, which cmd/playground/config.go does not define", f)
		}
	}
	if len(flags) < 10 {
		t.Fatalf("only %d flags found in deploying.md: the pattern no longer matches", len(flags))
	}
	for _, m := range regexp.MustCompile(`PLAYGROUND_[A-Z0-9_]+`).FindAllString(doc, -1) {
		if !known[m] {
			t.Errorf("deploying.md names %s, which cmd/playground/config.go does not define", m)
		}
	}
}
