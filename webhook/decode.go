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

// metaOf reads the labels and annotations of decoded object content in place.
func metaOf(content map[string]any) *meta {
	md, _ := content["metadata"].(map[string]any)
	labels, _ := md["labels"].(map[string]any)
	annotations, _ := md["annotations"].(map[string]any)
	return &meta{Labels: labels, Annotations: annotations}
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
