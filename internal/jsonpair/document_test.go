package jsonpair

import "testing"

func TestMember(t *testing.T) {
	const doc = `{"a":{"b":[1,2],"c":null},"a":{"b":"last","\u0063":{}},"s":"x"}`
	tests := []struct {
		path []string
		want string // the member's bytes; "" for absent
	}{
		{[]string{"a", "b"}, `"last"`},
		{[]string{"a", "c"}, `{}`},
		{[]string{"s"}, `"x"`},
		{[]string{"s", "x"}, ``},
		{[]string{"missing"}, ``},
		{[]string{"missing", "b"}, ``},
	}
	var d Decoder
	document, err := d.Scan([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release(document)
	for _, tt := range tests {
		v := document.Root()
		for _, k := range tt.path {
			v = v.Member(k)
		}
		start, end := v.Span()
		if got := doc[start:end]; got != tt.want {
			t.Errorf("member %v = %q, want %q", tt.path, got, tt.want)
		}
	}
}
