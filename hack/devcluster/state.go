package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/driftgate/driftgate/internal/argocd"
)

// The processes devcluster runs, in start order; down stops them in reverse. The Git server runs
// with --flux or --argocd, source-controller and kustomize-controller with --flux, Redis and Argo
// CD's two with --argocd.
const (
	etcdName      = "etcd"
	apiserverName = "kube-apiserver"
	driftgateName = "driftgate"
	gitServerName = "git-server"
	sourceName    = "source-controller"
	kustomizeName = "kustomize-controller"
)

func components() []string {
	return []string{etcdName, apiserverName, driftgateName, gitServerName, sourceName, kustomizeName,
		argocd.Redis, argocd.RepoServer, argocd.ApplicationController}
}

// layout names the files in the state dir.
type layout struct{ dir string }

func (l layout) path(name string) string { return filepath.Join(l.dir, name) }

func (l layout) log(component string) string     { return l.path(component + ".log") }
func (l layout) pidFile(component string) string { return l.path(component + ".pid") }
func (l layout) stateFile() string               { return l.path("state.json") }
func (l layout) kubeconfig() string              { return l.path("kubeconfig") }
func (l layout) driftgateKubeconfig() string     { return l.path("driftgate.kubeconfig") }
func (l layout) driftgateConfig() string         { return l.path("driftgate.yaml") }
func (l layout) pki() string                     { return l.path("pki") }       // the cluster's CA, keys, certificates
func (l layout) webhookCerts() string            { return l.path("certs") }     // driftgate's tls.crt, tls.key
func (l layout) etcdData() string                { return l.path("etcd-data") } // etcd's data dir
func (l layout) gitRoot() string                 { return l.path("repos") }     // the Git server's repositories
func (l layout) fluxStorage() string             { return l.path("flux-artifacts") }
func (l layout) argoDir() string                 { return l.path("argocd") } // the repo server's TMPDIR

// remove removes the state dir, Argo CD's repo server's clones included (it leaves them
// unreadable).
func (l layout) remove() error {
	argocd.Run{Dir: l.argoDir()}.Unlock()
	return os.RemoveAll(l.dir)
}
func (l layout) tokenKubeconfig(sa string) string { return l.path(sa + ".kubeconfig") }

// state is state.json: the ports and the processes up started (also in the pid files).
type state struct {
	Ports     ports              `json:"ports"`
	Processes map[string]process `json:"processes"`
}

// ports are the local ports, picked free at start.
type ports struct {
	EtcdClient int `json:"etcdClient"`
	EtcdPeer   int `json:"etcdPeer"`
	APIServer  int `json:"apiserver"`
	Webhook    int `json:"webhook"`
	Metrics    int `json:"metrics"`
	Probe      int `json:"probe"`
	// Flux's, with --flux.
	GitServer        int `json:"gitServer,omitempty"`
	SourceStorage    int `json:"sourceStorage,omitempty"`
	SourceMetrics    int `json:"sourceMetrics,omitempty"`
	SourceHealth     int `json:"sourceHealth,omitempty"`
	KustomizeMetrics int `json:"kustomizeMetrics,omitempty"`
	KustomizeHealth  int `json:"kustomizeHealth,omitempty"`
	// Argo CD's, with --argocd.
	Redis                 int `json:"redis,omitempty"`
	ArgoRepo              int `json:"argoRepo,omitempty"`
	ArgoRepoMetrics       int `json:"argoRepoMetrics,omitempty"`
	ArgoControllerMetrics int `json:"argoControllerMetrics,omitempty"`
}

func (l layout) saveState(s *state) error {
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	if err := os.WriteFile(l.stateFile(), append(raw, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", l.stateFile(), err)
	}
	return nil
}

// loadState reads state.json; a missing file is an empty state.
func (l layout) loadState() (*state, error) {
	raw, err := os.ReadFile(l.stateFile())
	if errors.Is(err, fs.ErrNotExist) {
		return &state{Processes: map[string]process{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", l.stateFile(), err)
	}
	s := &state{}
	if err := json.Unmarshal(raw, s); err != nil {
		return nil, fmt.Errorf("%s is not valid state: %w", l.stateFile(), err)
	}
	if s.Processes == nil {
		s.Processes = map[string]process{}
	}
	return s, nil
}

func (l layout) exists() bool {
	_, err := os.Stat(l.dir)
	return err == nil
}

// recorded are the processes the pid files name, in start order, with the binary and start
// time state.json has for them (without state.json: the component's own name, any start time).
func (l layout) recorded() ([]process, error) {
	s, err := l.loadState()
	if err != nil {
		return nil, err
	}
	var out []process
	for _, name := range components() {
		pid, err := readPIDFile(l, name)
		if err != nil {
			return nil, err
		}
		if pid == 0 {
			continue
		}
		p := s.Processes[name]
		if p.PID != pid { // state.json is older than the pid file: trust the pid file
			p.Start = 0
		}
		if p.Binary == "" {
			p.Binary = name
		}
		p.Name, p.PID = name, pid
		out = append(out, p)
	}
	return out, nil
}
