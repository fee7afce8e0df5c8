// Package jsonpair decodes the two versions of an object that an admission review carries (old
// and new) so that what they have in common is decoded once and shared: a value of the new
// version that is byte for byte the value at the same place in the old one is the old one's
// decoded value. An update usually changes a few fields of an object, so this halves the
// decoding, and a comparison of the two finds the shared parts equal at once.
//
// The result is what decoding each version on its own gives (map[string]any, []any, string,
// float64, bool, nil); the values two versions share must therefore not be modified.
package jsonpair
