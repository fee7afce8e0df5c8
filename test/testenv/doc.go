// Package testenv starts the real control plane driftgate's end-to-end tests run against:
// kube-apiserver and etcd from envtest with RBAC and an audit log, real identities (service
// account tokens, impersonated people), and driftgate itself running as its own service
// account with the RBAC the chart gives it, called by the API server over TLS.
package testenv
