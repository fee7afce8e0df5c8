package source

import "testing"

func TestFluxDigest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"main@sha1:4f0c2d1e9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d", "4f0c2d1e9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d"},
		{"sha1:4f0c2d1e", "4f0c2d1e"},
		{"latest@sha256:abcdef", "abcdef"},
		{"refs/tags/v1@sha1:abc", "abc"},
		{"4f0c2d1e", "4f0c2d1e"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := FluxDigest(tt.in); got != tt.want {
			t.Errorf("FluxDigest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
