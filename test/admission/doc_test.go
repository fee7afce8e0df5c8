// Package admission_test runs driftgate's webhook against a real control plane: envtest's
// kube-apiserver and etcd call the webhook over TLS, and every write is made with a real identity
// (service-account tokens, impersonation) under real RBAC.
package admission_test
