package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// server is the webhook server process the generator measures: this program run with --serve.
type server struct {
	cmd *exec.Cmd
	url string
}

// startServer starts the server process on a free loopback port and waits for its URL.
func startServer(o *options) (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"--serve", "127.0.0.1:0", "--grants", strconv.Itoa(o.grants)}
	if o.noop {
		args = append(args, "--noop")
	}
	if o.cpuProfile != "" {
		args = append(args, "--cpuprofile", o.cpuProfile)
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	cmd.Env = os.Environ()
	if o.serverGOGC != "" {
		cmd.Env = append(cmd.Env, "GOGC="+o.serverGOGC)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("the server process did not start: %w", err)
	}
	return &server{cmd: cmd, url: strings.TrimSpace(line)}, nil
}

// stop interrupts the server process (which then writes its CPU profile) and waits for it.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	_ = s.cmd.Wait()
}
