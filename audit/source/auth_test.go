package source

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
)

// newKey returns a new ed25519 private key in OpenSSH PEM form (encrypted when passphrase is
// set) and its public key.
func newKey(t *testing.T, passphrase string) ([]byte, ssh.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(block), sshPub
}

func TestAuthFromSecret(t *testing.T) {
	key, _ := newKey(t, "")
	encKey, _ := newKey(t, "key-passphrase-9f3")
	knownHosts := []byte("git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKnownHostsValue\n")
	tests := []struct {
		name    string
		data    map[string]string
		want    Auth
		wantErr string
	}{{
		name: "basic auth",
		data: map[string]string{"username": "user-7a1", "password": "pass-secret-55"},
		want: Auth{Username: "user-7a1", Password: "pass-secret-55"},
	}, {
		name: "token alone",
		data: map[string]string{"password": "token-secret-88"},
		want: Auth{Password: "token-secret-88"},
	}, {
		name: "bearer token",
		data: map[string]string{"bearerToken": "bearer-secret-31"},
		want: Auth{BearerToken: "bearer-secret-31"},
	}, {
		name: "ssh",
		data: map[string]string{"identity": string(key), "identity.pub": "ssh-ed25519 AAAA", "known_hosts": string(knownHosts)},
		want: Auth{SSHPrivateKey: key, KnownHosts: knownHosts},
	}, {
		name: "ssh with a passphrase",
		data: map[string]string{"identity": string(encKey), "password": "key-passphrase-9f3", "known_hosts": string(knownHosts)},
		want: Auth{SSHPrivateKey: encKey, SSHPassphrase: "key-passphrase-9f3", KnownHosts: knownHosts},
	}, {
		name: "CA bundle and client certificate",
		data: map[string]string{"caFile": "ca-pem", "tls.crt": "cert-pem", "tls.key": "key-pem-secret-12", "username": "u", "password": "pass-secret-56"},
		want: Auth{Username: "u", Password: "pass-secret-56", CABundle: []byte("ca-pem"), TLSClientCert: []byte("cert-pem"), TLSClientKey: []byte("key-pem-secret-12")},
	}, {
		name:    "username without password",
		data:    map[string]string{"username": "user-7a1", "password": ""},
		wantErr: `credentials Secret: key "password" is missing (needed with username)`,
	}, {
		name:    "identity without known_hosts",
		data:    map[string]string{"identity": string(key)},
		wantErr: `key "known_hosts" is missing (needed with identity)`,
	}, {
		name:    "known_hosts without identity",
		data:    map[string]string{"known_hosts": string(knownHosts)},
		wantErr: `key "identity" is missing (needed with known_hosts)`,
	}, {
		name:    "identity.pub without identity",
		data:    map[string]string{"identity.pub": "ssh-ed25519 AAAA", "username": "u", "password": "pass-secret-55"},
		wantErr: `key "identity" is missing (needed with identity.pub)`,
	}, {
		name:    "tls.key without tls.crt",
		data:    map[string]string{"tls.key": "key-pem-secret-12"},
		wantErr: `key "tls.crt" is missing (needed with tls.key)`,
	}, {
		name:    "bearer token and basic auth",
		data:    map[string]string{"bearerToken": "bearer-secret-31", "password": "pass-secret-55"},
		wantErr: "set either bearerToken or username/password, not both",
	}, {
		name:    "passphrase missing",
		data:    map[string]string{"identity": string(encKey), "known_hosts": string(knownHosts)},
		wantErr: `key "identity" is passphrase-protected: set the passphrase as "password"`,
	}, {
		name:    "wrong passphrase",
		data:    map[string]string{"identity": string(encKey), "password": "wrong-pass-secret-77", "known_hosts": string(knownHosts)},
		wantErr: `key "identity" is not a usable SSH private key`,
	}, {
		name:    "not a key",
		data:    map[string]string{"identity": "not-a-key-secret-66", "known_hosts": string(knownHosts)},
		wantErr: `key "identity" is not a usable SSH private key`,
	}, {
		name:    "empty Secret",
		data:    map[string]string{"unrelated": "x"},
		wantErr: "credentials Secret: no credentials: set username/password, bearerToken, or identity with known_hosts",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := map[string][]byte{}
			for k, v := range tt.data {
				data[k] = []byte(v)
			}
			got, err := AuthFromSecret(data)
			errText(t, err, tt.wantErr, nil)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("AuthFromSecret() (-want +got):\n%s", diff)
			}
			if err != nil {
				assertNoSecrets(t, err.Error(), tt.data)
			}
			assertNoSecrets(t, fmt.Sprintf("%v %+v %#v %s", got, got, got, got), tt.data)
		})
	}
}

// assertNoSecrets fails when text contains a value of the Secret data, usernames excepted.
func assertNoSecrets(t *testing.T, text string, data map[string]string) {
	t.Helper()
	for k, v := range data {
		if k != "username" && len(v) > 3 && strings.Contains(text, v) {
			t.Errorf("%q shows the value of %s", text, k)
		}
	}
}

func TestAuthForURL(t *testing.T) {
	key, _ := newKey(t, "")
	tests := []struct {
		name    string
		auth    Auth
		url     string
		want    transport.AuthMethod
		wantErr string
	}{
		{name: "none", url: "https://git.example.com/org/repo.git"},
		{name: "basic", auth: Auth{Username: "u", Password: "p-secret"}, url: "https://git.example.com/r",
			want: &githttp.BasicAuth{Username: "u", Password: "p-secret"}},
		{name: "token as basic auth for git", auth: Auth{Password: "t-secret"}, url: "https://git.example.com/r",
			want: &githttp.BasicAuth{Username: "git", Password: "t-secret"}},
		{name: "bearer", auth: Auth{BearerToken: "b-secret"}, url: "http://git.example.com/r",
			want: &githttp.TokenAuth{Token: "b-secret"}},
		{name: "file URL ignores credentials", auth: Auth{Password: "p"}, url: "file:///srv/repo"},
		{name: "ssh key on an https URL", auth: Auth{SSHPrivateKey: key}, url: "https://git.example.com/r",
			wantErr: "fetch https://git.example.com/r: the credentials hold an SSH key but the URL is https"},
		{name: "ssh without a key", url: "git@git.example.com:org/repo.git",
			wantErr: "fetch git@git.example.com:org/repo.git: ssh needs a key: set identity and known_hosts"},
		{name: "ssh without known_hosts", auth: Auth{SSHPrivateKey: key}, url: "ssh://git@git.example.com/org/repo.git",
			wantErr: "no known_hosts: set known_hosts in the credentials Secret"},
		{name: "password in the URL is redacted", url: "https://user:url-secret@git.example.com/r", auth: Auth{SSHPrivateKey: key},
			wantErr: "fetch https://user:xxxxx@git.example.com/r: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.auth.forURL(tt.url, t.TempDir())
			errText(t, err, tt.wantErr, nil)
			if diff := cmp.Diff(tt.want, got.method); diff != "" {
				t.Errorf("method (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAuthForURLSSH(t *testing.T) {
	key, _ := newKey(t, "")
	_, hostKey := newKey(t, "")
	known := []byte("[git.example.com]:2222 " + string(ssh.MarshalAuthorizedKey(hostKey)))
	got, err := Auth{SSHPrivateKey: key, KnownHosts: known}.forURL("ssh://deploy@git.example.com:2222/org/repo.git", t.TempDir())
	errText(t, err, "", nil)
	keys, ok := got.method.(*gitssh.PublicKeys)
	if !ok {
		t.Fatalf("method is %T, want *ssh.PublicKeys", got.method)
	}
	if keys.User != "deploy" {
		t.Errorf("User = %q, want the URL's deploy", keys.User)
	}
	if diff := cmp.Diff([]string{ssh.KeyAlgoED25519}, keys.HostKeyAlgorithms); diff != "" {
		t.Errorf("HostKeyAlgorithms (-want +got):\n%s", diff)
	}
}
