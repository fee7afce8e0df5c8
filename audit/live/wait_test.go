package live

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
)

// unsyncedInformer is a kindInformer that never syncs (it never runs) and last failed with err.
func unsyncedInformer(gk schema.GroupKind, err error) *kindInformer {
	done := make(chan struct{})
	close(done)
	return &kindInformer{
		gk:       gk,
		informer: cache.NewSharedIndexInformer(&cache.ListWatch{}, &unstructured.Unstructured{}, 0, nil),
		cancel:   func() {},
		done:     done,
		lastErr:  err,
	}
}

func TestWaitSynced(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "", errors.New("no RBAC"))
	tests := []struct {
		name      string
		lastErr   error
		wantNotes []string
		wantErr   string
	}{{
		name:      "forbidden: a note, and the kind is dropped",
		lastErr:   forbidden,
		wantNotes: []string{`cannot list Secret cluster-wide: not watched, its objects in Git are reported missing: secrets is forbidden: no RBAC`},
	}, {
		name:    "not synced when ctx ends: an error with the last list error",
		lastErr: errors.New("connection refused"),
		wantErr: "waiting for the live Secret to be listed: context canceled (last errors: Secret: connection refused)",
	}, {
		name:    "not synced, no error seen",
		wantErr: "waiting for the live Secret to be listed: context canceled",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ki := unsyncedInformer(secretKind, tt.lastErr)
			c := NewCache(Options{})
			c.kinds[secretKind] = ki
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			notes, err := c.waitSynced(ctx, c.informers())
			if diff := cmp.Diff(tt.wantNotes, notes); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error: %v", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr || !errors.Is(err, context.Canceled)):
				t.Errorf("error = %v; want %q wrapping context.Canceled", err, tt.wantErr)
			}
			if watched := c.informer(secretKind) != nil; watched != (tt.wantErr != "") {
				t.Errorf("still watched = %v", watched)
			}
		})
	}
}
