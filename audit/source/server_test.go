package source

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// gitHTTPServer serves the repositories below root over smart HTTP (git http-backend) with TLS,
// answering 401 unless the request carries one of the accepted Authorization headers.
func gitHTTPServer(t *testing.T, root string, accepted ...string) *httptest.Server {
	t.Helper()
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	backend := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(out)), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, a := range accepted {
			if r.Header.Get("Authorization") == a {
				backend.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func basicHeader(user, password string) string {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, password)
	return r.Header.Get("Authorization")
}

func TestFetchHTTPS(t *testing.T) {
	r := newRepo(t)
	head := r.commit("one", map[string]string{"a.yaml": configMap("a", "1")})
	srv := gitHTTPServer(t, filepath.Dir(r.dir),
		basicHeader("alice", "basic-secret-1"), basicHeader("git", "token-secret-2"), "Bearer bearer-secret-3")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	url := srv.URL + "/" + filepath.Base(r.dir)
	tests := []struct {
		name    string
		auth    Auth
		wantErr string
		wantIs  error
	}{
		{name: "basic auth", auth: Auth{Username: "alice", Password: "basic-secret-1", CABundle: ca}},
		{name: "token alone is sent as user git", auth: Auth{Password: "token-secret-2", CABundle: ca}},
		{name: "bearer token", auth: Auth{BearerToken: "bearer-secret-3", CABundle: ca}},
		{name: "no credentials", auth: Auth{CABundle: ca},
			wantErr: "fetch " + url + ": authentication required: set a credentials Secret with username/password",
			wantIs:  transport.ErrAuthenticationRequired},
		{name: "wrong password", auth: Auth{Username: "alice", Password: "wrong-secret-4", CABundle: ca},
			wantErr: "fetch " + url + ": authentication required", wantIs: transport.ErrAuthenticationRequired},
		{name: "untrusted certificate", auth: Auth{Username: "alice", Password: "basic-secret-1"},
			wantErr: "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := (&Fetcher{Dir: t.TempDir()}).Fetch(context.Background(), Spec{URL: url, Auth: tt.auth})
			errText(t, err, tt.wantErr, tt.wantIs)
			if err != nil {
				assertNoSecrets(t, err.Error(), map[string]string{"password": tt.auth.Password, "bearerToken": tt.auth.BearerToken})
				return
			}
			if got.Revision != head.String() || len(got.Objects) != 1 {
				t.Errorf("Fetch() = %s with %d objects, want %s with 1", got.Revision, len(got.Objects), head)
			}
		})
	}
}

// sshServer runs git-upload-pack for clients presenting the authorized key.
type sshServer struct {
	addr    string
	hostKey ssh.PublicKey
}

func startSSHServer(t *testing.T, authorized ssh.PublicKey) sshServer {
	t.Helper()
	hostPEM, hostPub := newKey(t, "")
	signer, err := ssh.ParsePrivateKey(hostPEM)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		if bytes.Equal(key.Marshal(), authorized.Marshal()) {
			return nil, nil
		}
		return nil, errors.New("key not authorized")
	}}
	cfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serveSSH(conn, cfg)
		}
	}()
	return sshServer{addr: ln.Addr().String(), hostKey: hostPub}
}

func serveSSH(conn net.Conn, cfg *ssh.ServerConfig) {
	_, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		conn.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "sessions only")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go serveSession(ch, chReqs)
	}
}

// serveSession runs the first exec request, "git-upload-pack '/path'", on the channel.
func serveSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "exec" || len(req.Payload) < 4 {
			req.Reply(false, nil)
			continue
		}
		req.Reply(true, nil)
		fields := strings.Fields(string(req.Payload[4:]))
		status := uint32(1)
		if len(fields) == 2 && fields[0] == "git-upload-pack" {
			status = runUploadPack(ch, strings.Trim(fields[1], "'"))
		}
		ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, status))
		return
	}
}

func runUploadPack(ch ssh.Channel, dir string) uint32 {
	cmd := exec.Command("git-upload-pack", dir)
	cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 1
	}
	if err := cmd.Start(); err != nil {
		return 1
	}
	go func() {
		io.Copy(stdin, ch)
		stdin.Close()
	}()
	if err := cmd.Wait(); err != nil {
		return 1
	}
	return 0
}

func TestFetchSSH(t *testing.T) {
	r := newRepo(t)
	head := r.commit("one", map[string]string{"a.yaml": configMap("a", "1")})
	key, pub := newKey(t, "")
	otherKey, _ := newKey(t, "")
	_, otherHostKey := newKey(t, "")
	srv := startSSHServer(t, pub)
	known := []byte(knownhosts.Line([]string{srv.addr}, srv.hostKey) + "\n")
	url := "ssh://git@" + srv.addr + filepath.ToSlash(r.dir)
	tests := []struct {
		name    string
		auth    Auth
		wantErr string
	}{
		{name: "key and known_hosts", auth: Auth{SSHPrivateKey: key, KnownHosts: known}},
		{name: "insecure host key", auth: Auth{SSHPrivateKey: key, InsecureIgnoreHostKey: true}},
		{name: "host not in known_hosts", auth: Auth{SSHPrivateKey: key,
			KnownHosts: []byte(knownhosts.Line([]string{"other.example.com"}, srv.hostKey) + "\n")},
			wantErr: "fetch " + url + ": host key is not in known_hosts"},
		{name: "host key changed", auth: Auth{SSHPrivateKey: key,
			KnownHosts: []byte(knownhosts.Line([]string{srv.addr}, otherHostKey) + "\n")},
			wantErr: "fetch " + url + ": host key does not match known_hosts"},
		{name: "key refused", auth: Auth{SSHPrivateKey: otherKey, KnownHosts: known},
			wantErr: "fetch " + url + ": ssh authentication failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := (&Fetcher{Dir: t.TempDir()}).Fetch(context.Background(), Spec{URL: url, Auth: tt.auth})
			errText(t, err, tt.wantErr, nil)
			if err == nil && got.Revision != head.String() {
				t.Errorf("Revision = %s, want %s", got.Revision, head)
			}
		})
	}
}
