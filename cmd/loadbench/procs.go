package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// proc is a server the benchmark started.
type proc struct {
	cmd *exec.Cmd
	URL string
}

func (p *proc) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

// start runs bin and waits for its "listening on URL" line.
func start(ctx context.Context, bin string, args, env []string) (*proc, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if m := listenRE.FindStringSubmatch(lines.Text()); m != nil {
			go io.Copy(io.Discard, out)
			return &proc{cmd: cmd, URL: m[1]}, nil
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("%s did not start", filepath.Base(bin))
}

// startSim starts the simulator: zero delay at tps 0, else paced.
func (b *bench) startSim(ctx context.Context, tps float64) (*proc, error) {
	return start(ctx, b.bins["llmsim"], []string{"--addr", "127.0.0.1:0", "--ttft", "0s", "--tps", strconv.FormatFloat(tps, 'f', -1, 64)}, nil)
}

// startPlayground starts a fresh playground whose simulator provider is sim,
// without per-session run limits, and with room for scenario 2's run of
// 100,000 events (about 17 MB from the simulator, past the 16 MB default
// of --run-max-bytes); extra are more flags.
func (b *bench) startPlayground(ctx context.Context, sim string, extra ...string) (*proc, error) {
	data, err := os.MkdirTemp(cmp.Or(b.dataRoot, b.dir), "loadbench-data-")
	if err != nil {
		return nil, err
	}
	if b.dataRoot != "" {
		b.dataDirs = append(b.dataDirs, data) // removed at the end, as b.dir is
	}
	args := []string{"--addr", "127.0.0.1:0", "--data-dir", data, "--log-level", "error", "--runs-at-once", "0", "--runs-per-minute", "0",
		"--client-runs-at-once", "0", "--client-runs-per-minute", "0", "--operator-runs-at-once", "0", "--max-conns-per-ip", "0", "--run-max-bytes", strconv.Itoa(256 << 20)}
	args = append(args, extra...)
	if b.profiles != "" {
		b.pprof = freeAddr()
		args = append(args, "--pprof-addr", b.pprof)
	}
	return start(ctx, b.bins["playground"], args, []string{"PLAYGROUND_SIM_URL=" + sim})
}

// freeAddr is a loopback address nobody listens on (for a moment).
func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:6060"
	}
	defer ln.Close()
	return ln.Addr().String()
}

// saveProfiles records a 2 s CPU profile and then a heap profile of the
// playground while the streams run.
func (b *bench) saveProfiles(ctx context.Context) {
	if err := os.MkdirAll(b.profiles, 0o755); err != nil {
		fmt.Fprintln(b.out, "pprof:", err)
		return
	}
	// The CPU profile covers the whole scenario (starting the runs too);
	// the heap profile is taken while the streams are open.
	secs := int(float64(b.cfg.ConcEvents)/b.cfg.Spacing+b.cfg.Spread.Seconds()) + 2
	var wg sync.WaitGroup
	for _, p := range []struct {
		path, file string
		after      time.Duration
	}{
		{"/debug/pprof/profile?seconds=" + strconv.Itoa(secs), "cpu.pprof", 0},
		{"/debug/pprof/heap", "heap.pprof", time.Duration(secs) * time.Second * 4 / 5},
		{"/debug/pprof/heap?debug=1", "heap.txt", time.Duration(secs) * time.Second * 4 / 5},
		{"/debug/pprof/goroutine?debug=1", "goroutine.txt", time.Duration(secs) * time.Second * 4 / 5},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(p.after)
			if err := b.fetchProfile(ctx, p.path, p.file); err != nil {
				fmt.Fprintln(b.out, "pprof:", err)
			}
		}()
	}
	wg.Wait()
	fmt.Fprintf(b.out, "profiles in %s: go tool pprof -top %s\n", b.profiles, filepath.Join(b.profiles, "cpu.pprof"))
}

const nginxConf = `daemon off;
worker_processes auto;
pid %[1]s/nginx.pid;
error_log %[1]s/nginx-error.log error;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path %[1]s/tmp-body;
  proxy_temp_path %[1]s/tmp-proxy;
  fastcgi_temp_path %[1]s/tmp-fcgi;
  uwsgi_temp_path %[1]s/tmp-uwsgi;
  scgi_temp_path %[1]s/tmp-scgi;
  upstream sim { server %[2]s; keepalive 256; }
  server {
    listen %[3]s;
    location / {
      proxy_pass http://sim;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 600s;
    }
  }
}
`

// startNginx starts nginx relaying to sim with proxy_buffering off.
func (b *bench) startNginx(ctx context.Context, sim string) (*proc, error) {
	prefix, err := os.MkdirTemp(b.dir, "nginx-")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	conf := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(nginxConf, prefix, strings.TrimPrefix(sim, "http://"), addr)), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, b.nginx, "-p", prefix, "-c", conf, "-e", filepath.Join(prefix, "nginx-error.log"))
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return &proc{cmd: cmd, URL: "http://" + addr}, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("nginx did not start (see %s)", prefix)
}

// pids is the process and its children (nginx's workers).
func pids(pid int) []int {
	out := []int{pid}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return out
	}
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, pids(n)...)
		}
	}
	return out
}

// cpuSeconds is the CPU time of a process and its children so far: the
// scheduler's own count in nanoseconds (/proc/PID/task/TID/schedstat,
// summed over the threads), or where the kernel has none, the user plus
// system time in 10 ms ticks (tickSeconds).
func cpuSeconds(pid int) float64 {
	total := 0.0
	for _, p := range pids(pid) {
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", p))
		if err != nil {
			continue
		}
		for _, t := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", p, t.Name()))
			if err != nil {
				return tickSeconds(pid)
			}
			f := strings.Fields(string(b))
			if len(f) == 0 {
				return tickSeconds(pid)
			}
			ns, err := strconv.ParseFloat(f[0], 64)
			if err != nil {
				return tickSeconds(pid)
			}
			total += ns / 1e9
		}
	}
	return total
}

// tickSeconds is the user plus system CPU time of a process and its
// children so far, in clock ticks.
func tickSeconds(pid int) float64 {
	total := 0.0
	for _, p := range pids(pid) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(fields) < 13 {
			continue
		}
		ut, _ := strconv.ParseFloat(fields[11], 64)
		st, _ := strconv.ParseFloat(fields[12], 64)
		total += (ut + st) / 100 // clock ticks (USER_HZ is 100 on Linux)
	}
	return total
}

// rssBytes is the resident memory of a process and its children.
func rssBytes(pid int) float64 {
	total := 0.0
	for _, p := range pids(pid) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				total += kb * 1024
			}
		}
	}
	return total
}

// peakRSS samples rssBytes until stop is closed and returns the highest.
func peakRSS(pid int, stop <-chan struct{}) <-chan float64 {
	out := make(chan float64, 1)
	go func() {
		peak := rssBytes(pid)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				out <- max(peak, rssBytes(pid))
				return
			case <-t.C:
				peak = max(peak, rssBytes(pid))
			}
		}
	}()
	return out
}

// fetchProfile saves the playground's pprof answer at path as file in the
// profiles directory.
func (b *bench) fetchProfile(ctx context.Context, path, file string) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+b.pprof+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(b.profiles, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(b.profiles, file), body, 0o644)
}

// profileRuns records a CPU profile of the playground (into name) while
// it serves runs of prompt p one at a time, each a new user's, as
// scenario 4 measures them: with short runs, where a run's fixed part
// goes; with long ones, each event's.
func (b *bench) profileRuns(ctx context.Context, s side, p, name string) {
	const secs = 3
	us, err := ready(ctx, s, 1500)
	if err != nil {
		fmt.Fprintln(b.out, "pprof:", err)
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := b.fetchProfile(ctx, "/debug/pprof/profile?seconds="+strconv.Itoa(secs), name); err != nil {
			fmt.Fprintln(b.out, "pprof:", err)
			return
		}
		fmt.Fprintf(b.out, "profile of scenario 4's runs: go tool pprof -top %s\n", filepath.Join(b.profiles, name))
	}()
	for _, u := range us {
		select {
		case <-done:
			return
		default:
		}
		s.stream(ctx, u, p)
	}
	<-done
}
