// Package fieldpath writes field paths in driftgate's one notation (SPEC "Field paths") and finds
// the paths at which two versions of an object differ. Admission uses it for the changed paths of
// an update; the audit and the break-glass records use the same notation.
package fieldpath
