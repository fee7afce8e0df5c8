package main

import (
	"fmt"
	"net"
)

// freePorts picks n distinct free ports on 127.0.0.1. The listeners stay open until all are
// picked, so the ports differ; another program could still take one before its user binds it.
func freePorts(n int) ([]int, error) {
	out := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("picking a free port: %w", err)
		}
		defer l.Close()
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

func pickPorts() (ports, error) {
	p, err := freePorts(16)
	if err != nil {
		return ports{}, err
	}
	return ports{EtcdClient: p[0], EtcdPeer: p[1], APIServer: p[2], Webhook: p[3], Metrics: p[4], Probe: p[5],
		GitServer: p[6], SourceStorage: p[7], SourceMetrics: p[8], SourceHealth: p[9], KustomizeMetrics: p[10], KustomizeHealth: p[11],
		Redis: p[12], ArgoRepo: p[13], ArgoRepoMetrics: p[14], ArgoControllerMetrics: p[15]}, nil
}

func localAddr(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }
