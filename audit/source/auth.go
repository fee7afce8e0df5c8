package source

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"golang.org/x/crypto/ssh"
)

// Auth holds the credentials for a repository. Which fields apply depends on the URL: HTTP(S)
// uses BearerToken, or Username/Password, plus CABundle and the TLS client pair; ssh uses
// SSHPrivateKey with KnownHosts. Its String method never shows the values.
type Auth struct {
	// Username and Password are HTTP basic auth. A Password alone (a token) is sent with the
	// username "git", which GitHub, GitLab and Bitbucket accept. For ssh, Username is the login
	// when the URL names none (default "git").
	Username, Password string
	// BearerToken is sent as "Authorization: Bearer"; it excludes Username/Password.
	BearerToken string
	// SSHPrivateKey is a PEM private key (OpenSSH, PKCS#1, PKCS#8), SSHPassphrase its passphrase.
	SSHPrivateKey []byte
	SSHPassphrase string
	// KnownHosts is known_hosts content. ssh refuses to connect without it unless
	// InsecureIgnoreHostKey is set (which accepts any host key: for tests only).
	KnownHosts            []byte
	InsecureIgnoreHostKey bool
	// CABundle (PEM) is trusted for HTTPS in addition to the system roots.
	CABundle []byte
	// TLSClientCert and TLSClientKey (PEM) are a client certificate for HTTPS.
	TLSClientCert, TLSClientKey []byte
}

// The keys of a credentials Secret, as Flux's GitRepository reads them.
const (
	keyUsername    = "username"
	keyPassword    = "password"
	keyBearerToken = "bearerToken"
	keyIdentity    = "identity"
	keyIdentityPub = "identity.pub"
	keyKnownHosts  = "known_hosts"
	keyCA          = "ca.crt"
	keyCAFile      = "caFile" // Flux's older name for ca.crt
	keyTLSCert     = "tls.crt"
	keyTLSKey      = "tls.key"
)

// AuthFromSecret builds Auth from a Kubernetes Secret's data, with the keys of Flux's
// GitRepository: username and password (HTTPS basic auth; password alone is a token),
// bearerToken, identity with known_hosts (ssh; password is then the key's passphrase and
// identity.pub is ignored), ca.crt (or caFile), tls.crt with tls.key. An incomplete set is an
// error naming the missing key; empty values count as missing. Errors never contain values.
func AuthFromSecret(data map[string][]byte) (Auth, error) {
	get := func(k string) []byte {
		if v := data[k]; len(v) > 0 {
			return v
		}
		return nil
	}
	a := Auth{
		Username:      string(get(keyUsername)),
		BearerToken:   string(get(keyBearerToken)),
		SSHPrivateKey: get(keyIdentity),
		KnownHosts:    get(keyKnownHosts),
		CABundle:      firstNonEmpty(get(keyCA), get(keyCAFile)),
		TLSClientCert: get(keyTLSCert),
		TLSClientKey:  get(keyTLSKey),
	}
	if a.SSHPrivateKey != nil {
		a.SSHPassphrase = string(get(keyPassword))
	} else {
		a.Password = string(get(keyPassword))
	}
	if err := a.checkSecret(get(keyIdentityPub) != nil); err != nil {
		return Auth{}, fmt.Errorf("credentials Secret: %w", err)
	}
	return a, nil
}

func firstNonEmpty(vs ...[]byte) []byte {
	for _, v := range vs {
		if len(v) > 0 {
			return v
		}
	}
	return nil
}

// checkSecret reports an incomplete or contradictory set of Secret keys.
func (a Auth) checkSecret(hasIdentityPub bool) error {
	if err := a.checkPairs(hasIdentityPub); err != nil {
		return err
	}
	if a.SSHPrivateKey != nil {
		return a.checkKey()
	}
	if a.Username == "" && a.Password == "" && a.BearerToken == "" && a.CABundle == nil && a.TLSClientCert == nil {
		return fmt.Errorf("no credentials: set %s/%s, %s, or %s with %s",
			keyUsername, keyPassword, keyBearerToken, keyIdentity, keyKnownHosts)
	}
	return nil
}

func (a Auth) checkPairs(hasIdentityPub bool) error {
	missing := func(key, because string) error {
		return fmt.Errorf("key %q is missing (needed with %s)", key, because)
	}
	switch {
	case a.Username != "" && a.Password == "" && a.SSHPrivateKey == nil:
		return missing(keyPassword, keyUsername)
	case a.BearerToken != "" && (a.Username != "" || a.Password != ""):
		return fmt.Errorf("set either %s or %s/%s, not both", keyBearerToken, keyUsername, keyPassword)
	case a.SSHPrivateKey != nil && a.KnownHosts == nil:
		return missing(keyKnownHosts, keyIdentity)
	case a.SSHPrivateKey == nil && a.KnownHosts != nil:
		return missing(keyIdentity, keyKnownHosts)
	case a.SSHPrivateKey == nil && hasIdentityPub:
		return missing(keyIdentity, keyIdentityPub)
	case (a.TLSClientCert == nil) != (a.TLSClientKey == nil):
		if a.TLSClientCert == nil {
			return missing(keyTLSCert, keyTLSKey)
		}
		return missing(keyTLSKey, keyTLSCert)
	}
	return nil
}

// checkKey parses the private key so a bad key or passphrase is reported before any fetch.
func (a Auth) checkKey() error {
	_, err := ssh.ParsePrivateKey(a.SSHPrivateKey)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if a.SSHPassphrase == "" {
			return fmt.Errorf("key %q is passphrase-protected: set the passphrase as %q", keyIdentity, keyPassword)
		}
		_, err = ssh.ParsePrivateKeyWithPassphrase(a.SSHPrivateKey, []byte(a.SSHPassphrase))
	}
	if err != nil {
		return a.scrub(fmt.Errorf("key %q is not a usable SSH private key: %w", keyIdentity, err))
	}
	return nil
}

// String names the kinds of credentials set, never their values.
func (a Auth) String() string {
	var kinds []string
	add := func(set bool, kind string) {
		if set {
			kinds = append(kinds, kind)
		}
	}
	add(a.Username != "" || a.Password != "", "basic")
	add(a.BearerToken != "", "bearer")
	add(len(a.SSHPrivateKey) > 0, "ssh-key")
	add(len(a.KnownHosts) > 0, "known-hosts")
	add(a.InsecureIgnoreHostKey, "insecure-ignore-host-key")
	add(len(a.CABundle) > 0, "ca")
	add(len(a.TLSClientCert) > 0, "client-cert")
	if len(kinds) == 0 {
		return "source.Auth{none}"
	}
	return "source.Auth{" + strings.Join(kinds, ",") + "}"
}

// GoString keeps %#v from printing the values.
func (a Auth) GoString() string { return a.String() }

// scrub removes the secret values from err's text, should a library have quoted one.
func (a Auth) scrub(err error) error {
	const hidden = "(redacted)"
	return scrub(err, a.Password, hidden, a.BearerToken, hidden, a.SSHPassphrase, hidden)
}

// GoGit is what go-git needs to reach one URL with a source's credentials, as the audit
// fetches: the auth method of the URL's protocol (nil when none applies) and, for HTTPS, the CA
// bundle and client certificate to pass beside it (go-git's CloneOptions, FetchOptions and
// PushOptions take them apart from the method).
type GoGit struct {
	Method                          transport.AuthMethod
	CABundle, ClientCert, ClientKey []byte
}

// ForGoGit turns the credentials into go-git's for rawURL: https with BearerToken, or
// Username/Password (a password alone goes with the user "git"); ssh with the private key and
// the host keys of KnownHosts (or none checked with InsecureIgnoreHostKey). tmp is a directory
// for the known_hosts file go-git reads; the file is removed before ForGoGit returns. Errors
// name what is missing and never hold a value.
func (a Auth) ForGoGit(rawURL, tmp string) (GoGit, error) {
	ra, err := a.forURL(rawURL, tmp)
	if err != nil {
		return GoGit{}, err
	}
	return GoGit{Method: ra.method, CABundle: ra.caBundle, ClientCert: ra.clientCert, ClientKey: ra.clientKey}, nil
}
