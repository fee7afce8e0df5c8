package webhook

// object is one version of the object under review.
type object struct {
	content map[string]any
	meta    *meta
}

func newObject(content map[string]any) *object {
	if content == nil {
		return nil
	}
	return &object{content: content, meta: metaOf(content)}
}

func metaOf(content map[string]any) *meta {
	md, _ := content["metadata"].(map[string]any)
	return &meta{Labels: stringMap(md["labels"]), Annotations: stringMap(md["annotations"])}
}

func stringMap(v any) map[string]string {
	m, _ := v.(map[string]any)
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, val := range m {
		s, _ := val.(string)
		out[k] = s
	}
	return out
}

// comparable returns a shallow copy of content without status and the metadata the API server
// maintains itself (never a change a writer made). kubectl's last-applied-configuration is kept:
// rewriting it changes what the next apply prunes.
func comparable(content map[string]any) map[string]any {
	out := make(map[string]any, len(content))
	for k, v := range content {
		if k != "status" {
			out[k] = v
		}
	}
	md, ok := content["metadata"].(map[string]any)
	if !ok {
		return out
	}
	clean := make(map[string]any, len(md))
	for k, v := range md {
		clean[k] = v
	}
	for _, k := range []string{
		"resourceVersion", "generation", "uid", "creationTimestamp", "managedFields", "selfLink",
		"deletionTimestamp", "deletionGracePeriodSeconds",
	} {
		delete(clean, k)
	}
	out["metadata"] = clean
	return out
}
