package live

// prune deletes in place what the differ never reads from a live object: status, the API
// server's bookkeeping metadata (resourceVersion, generation, creationTimestamp, selfLink),
// ownerReferences, and in managedFields the timestamps and the entries of the status
// subresource. It keeps labels, annotations, the other managedFields entries with their field
// sets, the uid (events about the object carry it, so kubectl describe finds them), and
// everything else (a Secret keeps its data: the differ masks values itself).
func prune(obj map[string]any) {
	delete(obj, "status")
	md, _ := obj["metadata"].(map[string]any)
	if md == nil {
		return
	}
	for _, k := range []string{"resourceVersion", "generation", "creationTimestamp", "selfLink", "ownerReferences"} {
		delete(md, k)
	}
	if entries, ok := md["managedFields"].([]any); ok {
		md["managedFields"] = pruneManagedFields(entries)
	}
}

// pruneManagedFields drops the status subresource's entries (the differ skips them) and the
// time of the others, in place.
func pruneManagedFields(entries []any) []any {
	kept := entries[:0]
	for _, e := range entries {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if m["subresource"] == "status" {
			continue
		}
		delete(m, "time")
		kept = append(kept, m)
	}
	clear(entries[len(kept):])
	return kept
}
