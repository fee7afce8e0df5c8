package source

import (
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
)

// remoteAuth is what go-git needs to talk to one URL.
type remoteAuth struct {
	method                          transport.AuthMethod
	caBundle, clientCert, clientKey []byte
}

// forURL picks the credentials that apply to rawURL's protocol. tmp is a directory for the
// known_hosts file go-git's ssh transport reads.
func (a Auth) forURL(rawURL, tmp string) (remoteAuth, error) {
	ep, err := transport.NewEndpoint(rawURL)
	if err != nil {
		return remoteAuth{}, fmt.Errorf("URL %s: %w", redactURL(rawURL), err)
	}
	ra := remoteAuth{caBundle: a.CABundle, clientCert: a.TLSClientCert, clientKey: a.TLSClientKey}
	switch ep.Protocol {
	case "http", "https":
		ra.method, err = a.httpMethod(ep)
	case "ssh":
		ra.method, err = a.sshMethod(ep, tmp)
	}
	if err != nil {
		return remoteAuth{}, fmt.Errorf("fetch %s: %w", redactURL(rawURL), err)
	}
	return ra, nil
}

func (a Auth) httpMethod(ep *transport.Endpoint) (transport.AuthMethod, error) {
	switch {
	case a.BearerToken != "":
		return &githttp.TokenAuth{Token: a.BearerToken}, nil
	case a.Username != "" || a.Password != "":
		user := a.Username
		if user == "" {
			user = "git"
		}
		return &githttp.BasicAuth{Username: user, Password: a.Password}, nil
	case len(a.SSHPrivateKey) > 0:
		return nil, fmt.Errorf("the credentials hold an SSH key but the URL is %s: "+
			"use the repository's ssh URL or set username/password", ep.Protocol)
	}
	return nil, nil
}

func (a Auth) sshMethod(ep *transport.Endpoint, tmp string) (transport.AuthMethod, error) {
	if len(a.SSHPrivateKey) == 0 {
		return nil, fmt.Errorf("ssh needs a key: set identity and known_hosts in the credentials Secret")
	}
	user := firstString(ep.User, a.Username, "git")
	keys, err := gitssh.NewPublicKeys(user, a.SSHPrivateKey, a.SSHPassphrase)
	if err != nil {
		return nil, a.scrub(fmt.Errorf("the SSH private key is not usable: %w", err))
	}
	keys.HostKeyCallback, keys.HostKeyAlgorithms, err = a.hostKeys(ep, tmp)
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// hostKeys returns the host key check for ep from KnownHosts, and the key algorithms to offer
// (those known_hosts has for the host, so the server presents a key that can be checked).
func (a Auth) hostKeys(ep *transport.Endpoint, tmp string) (ssh.HostKeyCallback, []string, error) {
	if len(a.KnownHosts) == 0 {
		if a.InsecureIgnoreHostKey {
			return ssh.InsecureIgnoreHostKey(), nil, nil //nolint:gosec // explicitly requested
		}
		return nil, nil, fmt.Errorf("no known_hosts: set known_hosts in the credentials Secret " +
			"(ssh-keyscan HOST) so the server's identity can be checked")
	}
	file, err := writeTemp(tmp, "known_hosts-*", a.KnownHosts)
	if err != nil {
		return nil, nil, err
	}
	defer os.Remove(file)
	db, err := gitssh.NewKnownHostsDb(file)
	if err != nil {
		return nil, nil, fmt.Errorf("known_hosts is not valid: %w", err)
	}
	port := ep.Port
	if port == 0 {
		port = 22
	}
	return db.HostKeyCallback(), db.HostKeyAlgorithms(net.JoinHostPort(ep.Host, strconv.Itoa(port))), nil
}

func writeTemp(dir, pattern string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", fmt.Errorf("writing a temporary file: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("writing a temporary file: %w", err)
	}
	return f.Name(), nil
}

func firstString(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
