package audit

import (
	"encoding/base64"
	"maps"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

// normalizeSecret folds a desired Secret's stringData into data, base64-encoded, as the API
// server does on write, so that Git's stringData compares with the live data.
func normalizeSecret(obj map[string]any) map[string]any {
	stringData := mapOf(obj["stringData"])
	if len(stringData) == 0 {
		return obj
	}
	out := maps.Clone(obj)
	data := maps.Clone(mapOf(obj["data"]))
	if data == nil {
		data = make(map[string]any, len(stringData))
	}
	for k, v := range stringData {
		data[k] = base64.StdEncoding.EncodeToString([]byte(fieldpath.Scalar(v)))
	}
	out["data"] = data
	delete(out, "stringData")
	return out
}

// isSecretData reports whether the node is (under) a Secret's data or stringData: its path's
// first segment is the key data or stringData.
func (w *walker) isSecretData(n node) bool {
	if n.depth == 0 {
		return false
	}
	key, ok := w.segs[0].MapKey()
	return ok && (key == "data" || key == "stringData")
}

// mask hides a Secret value: present values read "(sensitive)", absent ones stay null.
func mask(v any) any {
	if v == nil {
		return nil
	}
	return Sensitive
}
