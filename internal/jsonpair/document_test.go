package jsonpair

import "testing"

func TestOnly(t *testing.T) {
	tests := []struct {
		doc     string
		path    []string
		want    string // the member's bytes; "" for absent
		wantErr bool
	}{
		{`{"a":{"b":[1,2],"c":null},"s":"x"}`, []string{"a", "b"}, `[1,2]`, false},
		{`{"a":{"b":[1,2],"\u0063":{}}}`, []string{"a", "c"}, `{}`, false},
		{`{"a":{"b":1},"s":"x"}`, []string{"s", "x"}, ``, false},
		{`{"a":{"b":1}}`, []string{"missing", "b"}, ``, false},
		{`[{"a":1}]`, []string{"a"}, ``, false},
		{`{"a":{"b":1},"a":{"b":2}}`, []string{"a", "b"}, ``, true},
		{`{"a":{"b":1,"B":2}}`, []string{"a", "b"}, ``, true},
		{`{"A":{"b":1}}`, []string{"a", "b"}, ``, true},
	}
	for _, tt := range tests {
		var d Decoder
		doc, err := d.Scan([]byte(tt.doc))
		if err != nil {
			t.Fatal(err)
		}
		v := doc.Root()
		for _, k := range tt.path {
			if v, err = v.Only(k); err != nil {
				break
			}
		}
		if (err != nil) != tt.wantErr {
			t.Errorf("%s %v: error %v, want error %v", tt.doc, tt.path, err, tt.wantErr)
			continue
		}
		start, end := v.Span()
		if got := tt.doc[start:end]; err == nil && got != tt.want {
			t.Errorf("%s %v = %q, want %q", tt.doc, tt.path, got, tt.want)
		}
		d.Release(doc)
	}
}
