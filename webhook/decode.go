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

// bookkeeping are metadata fields the API server and kubectl maintain; they are never a change.
var bookkeeping = [...]string{
	"resourceVersion", "generation", "uid", "creationTimestamp", "managedFields", "selfLink",
	"deletionTimestamp", "deletionGracePeriodSeconds",
}

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// comparable returns a shallow copy of content without status and metadata bookkeeping.
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
	for _, k := range bookkeeping {
		delete(clean, k)
	}
	if ann, ok := md["annotations"].(map[string]any); ok {
		if _, has := ann[lastApplied]; has {
			a := make(map[string]any, len(ann))
			for k, v := range ann {
				a[k] = v
			}
			delete(a, lastApplied)
			clean["annotations"] = a
		}
	}
	out["metadata"] = clean
	return out
}
