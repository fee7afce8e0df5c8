package loop

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"helm.sh/helm/v4/pkg/action"
	"k8s.io/client-go/discovery"
	"k8s.io/utils/clock"

	"github.com/driftgate/driftgate/audit/source"
)

// capabilitiesTTL is how long the cluster's capabilities are kept before they are read again.
const capabilitiesTTL = time.Minute

// clusterCapabilities are the cluster's Kubernetes version and API versions, as Helm gives them
// to charts (.Capabilities), read by discovery at most once per capabilitiesTTL.
type clusterCapabilities struct {
	mu   sync.Mutex
	at   time.Time
	caps source.Capabilities
}

// get returns the capabilities, reading them with d when they are older than capabilitiesTTL;
// a nil d gives none (Helm's defaults).
func (c *clusterCapabilities) get(d discovery.DiscoveryInterface, clk clock.PassiveClock) (source.Capabilities, error) {
	if d == nil {
		return source.Capabilities{}, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := clk.Now()
	if !c.at.IsZero() && now.Sub(c.at) < capabilitiesTTL {
		return c.caps, nil
	}
	v, err := d.ServerVersion()
	if err != nil {
		return source.Capabilities{}, fmt.Errorf("reading the cluster's Kubernetes version for Helm's .Capabilities: %w", err)
	}
	versions, err := action.GetVersionSet(d)
	if err != nil {
		return source.Capabilities{}, fmt.Errorf("reading the cluster's API versions for Helm's .Capabilities: %w", err)
	}
	sorted := slices.Sorted(slices.Values(versions)) // Helm builds the set from a map: any order
	c.caps, c.at = source.Capabilities{KubeVersion: v.GitVersion, APIVersions: sorted}, now
	return c.caps, nil
}
