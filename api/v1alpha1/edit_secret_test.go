package v1alpha1

import "testing"

func TestSecretValuePath(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"data.password", true},
		{`data["tls.key"]`, true},
		{`stringData["db.url"]`, true},
		{`metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`, true},
		{"metadata.annotations", true},
		{"metadata", true},
		{`metadata.annotations["team"]`, false},
		{`metadata.labels["app"]`, false},
		{"type", false},
		{"immutable", false},
	}
	for _, tt := range tests {
		if got := SecretValuePath(tt.path); got != tt.want {
			t.Errorf("SecretValuePath(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestIsSecret(t *testing.T) {
	tests := []struct {
		ref  ObjectReference
		want bool
	}{
		{ObjectReference{APIVersion: "v1", Kind: "Secret", Resource: "secrets"}, true},
		{ObjectReference{Resource: "secrets"}, true},
		{ObjectReference{APIVersion: "v1", Kind: "Secret"}, true},
		{ObjectReference{APIVersion: "v1", Kind: "ConfigMap", Resource: "configmaps"}, false},
		{ObjectReference{APIVersion: "example.com/v1", Kind: "Secret", Resource: "secrets.example.com"}, false},
	}
	for _, tt := range tests {
		if got := tt.ref.IsSecret(); got != tt.want {
			t.Errorf("%+v.IsSecret() = %v, want %v", tt.ref, got, tt.want)
		}
	}
}
