package v1alpha1

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// TestGrantPrinterColumns checks the columns of `kubectl get bgg` in the generated CRD. Expires is
// a string column: kubectl shows a date column as an age, and an expiry still ahead (every active
// grant's) as <invalid>.
func TestGrantPrinterColumns(t *testing.T) {
	raw, err := os.ReadFile("../../charts/driftgate/crds/driftgate.io_breakglassgrants.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(raw, &crd); err != nil {
		t.Fatal(err)
	}
	type column struct{ Name, Type, JSONPath string }
	want := []column{
		{"Requester", "string", ".spec.requester"},
		{"Ticket", "string", ".spec.ticket"},
		{"Phase", "string", ".status.phase"},
		{"Expires", "string", ".status.expiresAt"},
		{"Age", "date", ".metadata.creationTimestamp"},
	}
	for _, v := range crd.Spec.Versions {
		var got []column
		for _, c := range v.AdditionalPrinterColumns {
			got = append(got, column{c.Name, c.Type, c.JSONPath})
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s printer columns (-want +got):\n%s", v.Name, diff)
		}
	}
}
