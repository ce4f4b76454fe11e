// Package balancer starts Debian's nginx as a plain round-robin load
// balancer in front of local playground instances: the multi-instance
// test and the load benchmark's cluster scenario run behind it, as a
// deployment without sticky routing would (docs/deploying.md has the
// same settings for production).
package balancer

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// Balancer is a running nginx.
type Balancer struct {
	// URL is where it listens (http://127.0.0.1:PORT).
	URL string
	dir string
	cmd *exec.Cmd
}

// config is nginx's: one worker (so plain round robin is exactly that),
// no buffering of event streams, HTTP/1.1 keep-alive to the instances, a
// failed instance skipped for the next.
var config = template.Must(template.New("nginx").Parse(`{{if .Root}}user root;
{{end}}worker_processes 1;
daemon off;
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/error.log warn;
events { worker_connections 8192; }
http {
	log_format upstream '$request_method $uri $status $upstream_addr';
	access_log {{.Dir}}/access.log upstream;
	client_body_temp_path {{.Dir}}/body;
	proxy_temp_path {{.Dir}}/proxy;
	fastcgi_temp_path {{.Dir}}/fastcgi;
	uwsgi_temp_path {{.Dir}}/uwsgi;
	scgi_temp_path {{.Dir}}/scgi;
	client_max_body_size 20m;
	upstream playground {
{{range .Backends}}		server {{.}} max_fails=1 fail_timeout=5s;
{{end}}		keepalive 256;
	}
	server {
		listen {{.Listen}};
		location / {
			proxy_pass http://playground;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host $http_host;
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
			proxy_set_header X-Forwarded-Proto $scheme;
			proxy_buffering off;
			proxy_read_timeout 1h;
			proxy_connect_timeout 2s;
			add_header X-Served-By $upstream_addr always;
		}
	}
}
`))

// Binary is nginx's path: PATH's, else Debian's /usr/sbin/nginx.
func Binary() (string, error) {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx", nil
	}
	return "", errors.New("balancer: nginx is not installed (Debian's nginx package; .ci/run installs it)")
}

// Start runs nginx in dir (its config, logs and temp files) in front of
// backends (host:port each), and waits until it answers.
func Start(dir string, backends []string) (*Balancer, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	listen, err := freeAddr()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if err := config.Execute(&b, map[string]any{"Root": os.Geteuid() == 0, "Dir": dir, "Backends": backends, "Listen": listen}); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-p", dir, "-c", conf)
	cmd.Stderr = os.Stderr
	// Its own process group: Close stops the workers with the master
	// (killing the master alone leaves a worker listening).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("balancer: %w", err)
	}
	bal := &Balancer{URL: "http://" + listen, dir: dir, cmd: cmd}
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", listen, time.Second); err == nil {
			c.Close()
			return bal, nil
		}
		if time.Now().After(deadline) {
			bal.Close()
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			return nil, fmt.Errorf("balancer: nginx did not start: %s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Close stops nginx, its workers too.
func (b *Balancer) Close() {
	if b.cmd.Process != nil {
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
		_ = b.cmd.Wait()
	}
}

// ServedBy is the response header naming the instance (host:port) that
// answered, as nginx sets it (the last one tried when it skipped a failed
// instance is last in the list).
const ServedBy = "X-Served-By"

// Instance is the instance that answered resp ("" when not through the
// balancer).
func Instance(h http.Header) string {
	ups := strings.Split(h.Get(ServedBy), ", ")
	return strings.TrimSpace(ups[len(ups)-1])
}

// Served is the instance (host:port) that answered each request so far,
// in order, from the access log ("METHOD PATH" -> upstream): the last
// one tried when nginx skipped a failed instance.
func (b *Balancer) Served() ([][2]string, error) {
	f, err := os.Open(filepath.Join(b.dir, "access.log"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][2]string
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		fields := strings.Fields(lines.Text())
		if len(fields) < 4 {
			continue
		}
		ups := strings.Split(strings.Join(fields[3:], " "), ", ")
		out = append(out, [2]string{fields[0] + " " + fields[1], ups[len(ups)-1]})
	}
	return out, lines.Err()
}

// freeAddr is a loopback address with a port free just now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
