package fieldpath

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSet(t *testing.T) {
	const doc = `{"spec":{"containers":[{"name":"app","image":"a:1"},{"name":"side","image":"s:1"}]}}`
	tests := []struct {
		name, path, value string // value: JSON
		remove            bool
		want              string // JSON; "" when an error is wanted
	}{
		{"a keyed item's field", "spec.containers[name=app].image", `"a:2"`, false,
			`{"spec":{"containers":[{"name":"app","image":"a:2"},{"name":"side","image":"s:1"}]}}`},
		{"an item by index", "spec.containers[1].image", `"s:2"`, false,
			`{"spec":{"containers":[{"name":"app","image":"a:1"},{"name":"side","image":"s:2"}]}}`},
		{"maps made on the way", "metadata.labels.team", `"shop"`, false,
			`{"metadata":{"labels":{"team":"shop"}},"spec":{"containers":[{"name":"app","image":"a:1"},{"name":"side","image":"s:1"}]}}`},
		{"a missing item appended", "spec.containers[name=new]", `{"name":"new"}`, false,
			`{"spec":{"containers":[{"name":"app","image":"a:1"},{"name":"side","image":"s:1"},{"name":"new"}]}}`},
		{"below a missing item", "spec.containers[name=new].image", `"n:1"`, false, ""},
		{"an item removed", "spec.containers[name=side]", ``, true,
			`{"spec":{"containers":[{"name":"app","image":"a:1"}]}}`},
		{"a key removed", "spec.containers[name=app].image", ``, true,
			`{"spec":{"containers":[{"name":"app"},{"name":"side","image":"s:1"}]}}`},
		{"removing what is not there", "spec.containers[name=none].image", ``, true, doc},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cur, value any
			if err := json.Unmarshal([]byte(doc), &cur); err != nil {
				t.Fatal(err)
			}
			if tt.value != "" {
				if err := json.Unmarshal([]byte(tt.value), &value); err != nil {
					t.Fatal(err)
				}
			}
			segs, err := Parse(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Set(cur, segs, value, tt.remove)
			if tt.want == "" {
				if !errors.Is(err, ErrNoItem) {
					t.Fatalf("Set = %v, %v; want an error wrapping ErrNoItem", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want any
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Set (-want +got):\n%s", diff)
			}
		})
	}
}
