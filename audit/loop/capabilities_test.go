package loop

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	clienttesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/driftgate/driftgate/audit/source"
)

// TestClusterCapabilities: the capabilities charts see are the cluster's version and every
// group/version and group/version/Kind it serves, read again only after capabilitiesTTL.
func TestClusterCapabilities(t *testing.T) {
	d := &fakediscovery.FakeDiscovery{Fake: &clienttesting.Fake{}, FakedServerVersion: &version.Info{GitVersion: "v1.37.1"}}
	d.Resources = []*metav1.APIResourceList{{GroupVersion: "monitoring.coreos.com/v1", APIResources: []metav1.APIResource{{Name: "servicemonitors", Kind: "ServiceMonitor"}}}}
	clk := clocktesting.NewFakePassiveClock(t0)
	var c clusterCapabilities
	got, err := c.get(d, clk)
	if err != nil {
		t.Fatal(err)
	}
	want := source.Capabilities{KubeVersion: "v1.37.1", APIVersions: []string{"monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("capabilities (-want +got):\n%s", diff)
	}

	d.Resources = append(d.Resources, &metav1.APIResourceList{GroupVersion: "example.com/v1", APIResources: []metav1.APIResource{{Name: "widgets", Kind: "Widget"}}})
	clk.SetTime(t0.Add(capabilitiesTTL - time.Second))
	if got, _ := c.get(d, clk); len(got.APIVersions) != 2 {
		t.Errorf("within the TTL: %v, want the capabilities read first", got.APIVersions)
	}
	clk.SetTime(t0.Add(capabilitiesTTL))
	if got, _ := c.get(d, clk); len(got.APIVersions) != 4 {
		t.Errorf("after the TTL: %v, want example.com's too", got.APIVersions)
	}
	if got, err := c.get(nil, clk); err != nil || got.KubeVersion != "" {
		t.Errorf("without discovery: %+v, %v; want Helm's defaults", got, err)
	}
}
