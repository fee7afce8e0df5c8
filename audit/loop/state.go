package loop

import (
	"reflect"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/live"
)

// sourceState is what the loop remembers of one GitSource between reconciles.
type sourceState struct {
	generation int64
	// fetchedAt is the last fetch attempt, successful or not.
	fetchedAt time.Time
	// revision and desired are the last successful fetch; desired is keyed with namespaces defaulted.
	revision string
	desired  map[live.Key]audit.Object
	kindSet  map[schema.GroupKind]bool
	// namespaces are those the manifests put objects in: orphans are looked for there only.
	namespaces map[string]bool
	// fetchErr is the error of the last fetch attempt; the source is stale while it is set.
	fetchErr error
	// sync is what the GitOps controller of a sourceRef said at the last fetch; nil for a
	// repository.
	sync *v1alpha1.SyncStatus
	// stalled is set when the spec of this generation cannot work (a terminal fetch error, or a
	// malformed spec.ignore): nothing is fetched or audited again until the generation changes.
	stalled error
	// drifting holds the objects out of sync at the last fresh audit, with when first seen.
	drifting map[live.Key]time.Time
	// pending are the drifting objects that differed only because the GitOps controller had not
	// applied the revision, at the last fresh audit.
	pending map[live.Key]bool
	seeded  bool
	// differ is built from the spec of generation differGeneration, with the GitOps object's
	// ignore rules of version differIgnore.
	differ           *audit.Differ
	differGeneration int64
	differIgnore     int
	// gitops marks the state of the GitOps object of a sourceRef at the last fetch where its
	// kind says more than sync does (an Application: applicationMark); a change fetches again.
	gitops string
	// gitopsIgnore are the ignore rules the GitOps object itself declares (an Application's
	// ignoreDifferences), of version gitopsIgnoreVersion.
	gitopsIgnore        []audit.IgnoreRule
	gitopsIgnoreVersion int
}

// setGitOpsIgnore replaces the GitOps object's ignore rules; the source's Differ is built again
// when they changed.
func (s *sourceState) setGitOpsIgnore(rules []audit.IgnoreRule) {
	if !reflect.DeepEqual(rules, s.gitopsIgnore) {
		s.gitopsIgnore = rules
		s.gitopsIgnoreVersion++
	}
}

func (s *sourceState) stale() bool { return s.fetchErr != nil || s.desired == nil }

// setDesired replaces the source's manifests.
func (s *sourceState) setDesired(revision string, desired map[live.Key]audit.Object) {
	s.revision, s.desired = revision, desired
	s.kindSet, s.namespaces = map[schema.GroupKind]bool{}, map[string]bool{}
	for k := range desired {
		s.kindSet[schema.GroupKind{Group: k.Group, Kind: k.Kind}] = true
		s.namespaces[k.Namespace] = true
	}
}

// kinds are the group/kinds the source declares.
func (s *sourceState) kinds() []schema.GroupKind {
	out := make([]schema.GroupKind, 0, len(s.kindSet))
	for gk := range s.kindSet {
		out = append(out, gk)
	}
	return out
}

// states holds every source's state; the loop reconciles one source at a time, but metrics and
// live-change notifications read it from other goroutines.
type states struct {
	mu sync.Mutex
	m  map[string]*sourceState
}

func (s *states) get(name string) *sourceState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*sourceState{}
	}
	st, ok := s.m[name]
	if !ok {
		st = &sourceState{drifting: map[live.Key]time.Time{}}
		s.m[name] = st
	}
	return st
}

func (s *states) forget(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, name)
}

func (s *states) names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.m))
	for n := range s.m {
		out = append(out, n)
	}
	return out
}

// kinds is the union of the kinds every source declares.
func (s *states) kinds() []schema.GroupKind {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[schema.GroupKind]bool{}
	var out []schema.GroupKind
	for _, st := range s.m {
		for _, gk := range st.kinds() {
			if !seen[gk] {
				seen[gk] = true
				out = append(out, gk)
			}
		}
	}
	return out
}

// definer is the source that defines an object in Git.
type definer struct {
	source   string
	revision string
	object   audit.Object
	stale    bool
}

// lookup finds the sources whose last known manifests define k; anyStale reports whether some
// source has no fresh manifests (so an object missing from all of them may still be in Git).
func (s *states) lookup(k live.Key) (found []definer, anyStale bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, st := range s.m {
		anyStale = anyStale || st.stale()
		if o, ok := st.desired[k]; ok {
			found = append(found, definer{source: name, revision: st.revision, object: o, stale: st.stale()})
		}
	}
	return found, anyStale
}

// definedElsewhere reports whether a source other than name defines k.
func (s *states) definedElsewhere(name string, k live.Key) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for other, st := range s.m {
		if _, ok := st.desired[k]; ok && other != name {
			return true
		}
	}
	return false
}

// update changes a source's state under the lock; the reconciler is the only writer.
func (s *states) update(name string, f func(*sourceState)) {
	st := s.get(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	f(st)
}

// declaring lists the sources that declare objects of a kind.
func (s *states) declaring(gk schema.GroupKind) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for name, st := range s.m {
		if st.kindSet[gk] {
			out = append(out, name)
		}
	}
	return out
}
