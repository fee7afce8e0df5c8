package webhook

import "github.com/driftgate/driftgate/internal/fieldpath"

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

// bookkeeping is what a writer's change never is: the status and the metadata the API server
// maintains itself. kubectl's last-applied-configuration is compared: rewriting it changes what the
// next apply prunes. It is read only.
var bookkeeping = fieldpath.Skip{
	"status": nil,
	"metadata": {
		"resourceVersion": nil, "generation": nil, "uid": nil, "creationTimestamp": nil, "managedFields": nil,
		"selfLink": nil, "deletionTimestamp": nil, "deletionGracePeriodSeconds": nil,
	},
}
