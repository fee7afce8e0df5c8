// Package fieldpath owns the structure of objects as driftgate names it: the schema of each kind
// (Schemas, with its bounded memory), list identity (which lists are keyed, by which keys, the
// second list-map key and the API server's defaults for keys an item leaves out), and the SPEC's
// path notation, rendered (Path) and parsed (Parse, Matches, Lookup). The webhook's changed paths
// (Diff) and the drift audit's walk both name list items through it, so a path the webhook records
// is the path the audit decides on.
package fieldpath
