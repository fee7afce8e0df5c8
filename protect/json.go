package protect

import "encoding/json"

// mustJSON encodes a map of strings and nils, which always encodes.
func mustJSON(v map[string]any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}
