package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/driftgate/driftgate/internal/supervise"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/loadgen"
)

// The servers compared.
const (
	serverDriftgate  = "driftgate"
	serverGatekeeper = "gatekeeper"
	serverFloor      = "floor"
)

// server is one webhook server process under load and the generator that sends it the traffic.
type server struct {
	name string
	url  string
	pid  int
	gen  *loadgen.Generator
}

// startLoadServer runs the load tool's webhook server (--serve): driftgate's handler with
// grants loaded, or with noop the no-op handler on the same server and TLS; GOGC as given.
func startLoadServer(ctx context.Context, o *options, name string, noop bool) (*supervise.Process, string, error) {
	ports, err := testutil.FreePorts(1)
	if err != nil {
		return nil, "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	args := []string{"--serve", addr, "--grants", strconv.Itoa(o.grants)}
	if noop {
		args = append(args, "--noop")
	}
	p, err := supervise.Start(supervise.Spec{
		Name: name, Path: o.load, Args: args,
		Env: append(os.Environ(), "GOGC="+o.gogc),
		Log: filepath.Join(o.dir, name+".log"),
	})
	if err != nil {
		return nil, "", err
	}
	return p, "https://" + addr + "/validate", p.WaitReady(ctx, o.timeout, answersTLS(addr))
}

// answersTLS is a readiness check: a TLS handshake with addr succeeds.
func answersTLS(addr string) func(context.Context) bool {
	return func(context.Context) bool {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // a local test server
		if err != nil {
			return false
		}
		_ = conn.Close()
		return true
	}
}

// newServer prepares the traffic generator for a server.
func newServer(name, url string, pid int, o *options) (*server, error) {
	g, err := loadgen.NewGenerator(url, &tls.Config{InsecureSkipVerify: true}, traffic()) //nolint:gosec // local test servers
	if err != nil {
		return nil, err
	}
	g.AnyDecision = name == serverFloor
	g.MaxBehind = o.maxBehind
	return &server{name: name, url: url, pid: pid, gen: g}, nil
}

// checkDecisions sends each decision check once to url and says, per check, what came back.
func checkDecisions(url string, anyDecision bool) ([]error, error) {
	g, err := loadgen.NewGenerator(url, &tls.Config{InsecureSkipVerify: true}, decisionChecks()) //nolint:gosec // local test servers
	if err != nil {
		return nil, err
	}
	g.AnyDecision = anyDecision
	return g.Check(), nil
}

// clockTick is the unit of /proc/PID/stat's CPU times (USER_HZ, 100 on Linux).
const clockTick = 100

// cpuSeconds is the CPU time (user and system) the process has used so far.
func cpuSeconds(pid int) (float64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the CPU time of pid %d: %w", pid, err)
	}
	// The fields after the command name (in parentheses) start with the state, the third field;
	// utime and stime are the 14th and 15th.
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: unreadable CPU times", pid)
	}
	return float64(utime+stime) / clockTick, nil
}
