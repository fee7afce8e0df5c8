// Package loadgen builds realistic admission traffic for benchmarks and the load tool: UPDATE
// AdmissionReviews of an Argo CD-owned Deployment of about 14 KB, and sets of break-glass grants.
package loadgen

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/config"
)

// Deployment returns a Deployment as the API server sends it: managedFields, last-applied
// configuration, two containers with env, probes, resources and volumes, and status.
func Deployment(replicas int, image string) map[string]any {
	env := make([]any, 0, 24)
	for i := range 24 {
		env = append(env, map[string]any{"name": fmt.Sprintf("CHECKOUT_SETTING_%02d", i), "value": fmt.Sprintf("value-%02d-some-realistic-length", i)})
	}
	container := func(name, img string, port int) map[string]any {
		return map[string]any{
			"name": name, "image": img, "imagePullPolicy": "IfNotPresent",
			"ports": []any{map[string]any{"containerPort": port, "name": "http", "protocol": "TCP"}},
			"env":   env,
			"resources": map[string]any{
				"limits":   map[string]any{"cpu": "1", "memory": "512Mi"},
				"requests": map[string]any{"cpu": "250m", "memory": "256Mi"},
			},
			"livenessProbe":          map[string]any{"httpGet": map[string]any{"path": "/healthz", "port": port, "scheme": "HTTP"}, "periodSeconds": 10},
			"readinessProbe":         map[string]any{"httpGet": map[string]any{"path": "/readyz", "port": port, "scheme": "HTTP"}, "periodSeconds": 5},
			"volumeMounts":           []any{map[string]any{"name": "config", "mountPath": "/etc/checkout"}, map[string]any{"name": "tmp", "mountPath": "/tmp"}},
			"terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
		}
	}
	labels := map[string]any{"app.kubernetes.io/name": "checkout", "app.kubernetes.io/part-of": "shop", "team": "payments"}
	return map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{
			"name": "checkout", "namespace": "prod", "uid": "8d6f1c2a-3b4e-4f5a-9c8d-7e6f5a4b3c2d",
			"resourceVersion": "123456", "generation": 42, "creationTimestamp": "2026-10-01T08:00:00Z",
			"labels": labels,
			"annotations": map[string]any{
				"argocd.argoproj.io/tracking-id":                   "checkout:apps/Deployment:prod/checkout",
				"deployment.kubernetes.io/revision":                "17",
				"kubectl.kubernetes.io/last-applied-configuration": `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"checkout","namespace":"prod"},"spec":{"replicas":3}}`,
			},
			"managedFields": []any{
				map[string]any{"manager": "argocd-controller", "operation": "Apply", "apiVersion": "apps/v1", "time": "2026-11-20T10:00:00Z", "fieldsType": "FieldsV1",
					"fieldsV1": map[string]any{"f:spec": map[string]any{"f:replicas": map[string]any{}, "f:template": map[string]any{"f:spec": map[string]any{"f:containers": map[string]any{`k:{"name":"app"}`: map[string]any{".": map[string]any{}, "f:image": map[string]any{}, "f:env": map[string]any{}}}}}}}},
				map[string]any{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-11-20T10:00:05Z", "fieldsType": "FieldsV1", "subresource": "status",
					"fieldsV1": map[string]any{"f:status": map[string]any{"f:replicas": map[string]any{}, "f:readyReplicas": map[string]any{}, "f:conditions": map[string]any{}}}},
			},
		},
		"spec": map[string]any{
			"replicas": replicas, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
			"selector": map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": "checkout"}},
			"strategy": map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"maxSurge": "25%", "maxUnavailable": "25%"}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": labels},
				"spec": map[string]any{
					"containers":    []any{container("app", image, 8080), container("sidecar", "registry.example.com/envoy:v1.31.0", 9901)},
					"volumes":       []any{map[string]any{"name": "config", "configMap": map[string]any{"name": "checkout-config", "defaultMode": 420}}, map[string]any{"name": "tmp", "emptyDir": map[string]any{}}},
					"restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
					"terminationGracePeriodSeconds": 30, "securityContext": map[string]any{"runAsNonRoot": true},
				},
			},
		},
		"status": map[string]any{
			"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas, "updatedReplicas": replicas, "observedGeneration": 42,
			"conditions": []any{
				map[string]any{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability.", "lastUpdateTime": "2026-11-20T10:00:05Z", "lastTransitionTime": "2026-11-20T10:00:05Z"},
				map[string]any{"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "message": "ReplicaSet \"checkout-7d9f8c6b5\" has successfully progressed.", "lastUpdateTime": "2026-11-20T10:00:05Z", "lastTransitionTime": "2026-10-01T08:00:00Z"},
			},
		},
	}
}

// UpdateReview is the AdmissionReview of user changing the app image of the Deployment.
func UpdateReview(uid, user string) []byte {
	return updateReview(uid, user, Deployment(3, "registry.example.com/checkout:v1.2.4"))
}

// MarkerStripReview is the AdmissionReview of user changing the app image of the Deployment and
// removing its ownership marker (Argo CD's tracking-id annotation).
func MarkerStripReview(uid, user string) []byte {
	object := Deployment(3, "registry.example.com/checkout:v1.2.4")
	delete(object["metadata"].(map[string]any)["annotations"].(map[string]any), "argocd.argoproj.io/tracking-id")
	return updateReview(uid, user, object)
}

// updateReview is the AdmissionReview of user replacing the Deployment at image v1.2.3 with object.
func updateReview(uid, user string, object map[string]any) []byte {
	userInfo := map[string]any{"username": user, "groups": []any{"system:authenticated"}}
	if strings.HasPrefix(user, "system:serviceaccount:") {
		// A service account's real token carries its credential id; driftgate trusts a GitOps
		// identity only with it (a name alone could be impersonated).
		userInfo["extra"] = map[string]any{config.CredentialIDKey: []any{"JTI=3f1c9a52-7b0e-4d21-9c44-8e2b6a1d5f07"}}
	}
	review := map[string]any{
		"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
		"request": map[string]any{
			"uid":         uid,
			"kind":        map[string]any{"group": "apps", "version": "v1", "kind": "Deployment"},
			"resource":    map[string]any{"group": "apps", "version": "v1", "resource": "deployments"},
			"requestKind": map[string]any{"group": "apps", "version": "v1", "kind": "Deployment"},
			"namespace":   "prod", "name": "checkout", "operation": "UPDATE",
			"userInfo":  userInfo,
			"object":    object,
			"oldObject": Deployment(3, "registry.example.com/checkout:v1.2.3"),
			"dryRun":    false,
			"options":   map[string]any{"apiVersion": "meta.k8s.io/v1", "kind": "UpdateOptions"},
		},
	}
	raw, err := json.Marshal(review)
	if err != nil {
		panic(err) // static, always marshals
	}
	return raw
}

// Grants returns n active grants spread over many users; alice holds one covering prod
// deployments, so her writes are break-glass writes.
func Grants(n int, now time.Time) []v1alpha1.BreakGlassGrant {
	out := make([]v1alpha1.BreakGlassGrant, 0, n)
	for i := range n {
		user := fmt.Sprintf("user-%d", i%250)
		ns := fmt.Sprintf("team-%d", i%40)
		if i == 0 {
			user, ns = "alice", "prod"
		}
		exp := metav1.NewTime(now.Add(time.Hour))
		out = append(out, v1alpha1.BreakGlassGrant{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("inc-%d-%s", 1000+i, user)},
			Spec: v1alpha1.BreakGlassGrantSpec{
				Requester: user, Reason: "load test", Ticket: fmt.Sprintf("INC-%d", 1000+i),
				Scope:    v1alpha1.GrantScope{Namespaces: []string{ns}, Resources: []string{"deployments.apps", "configmaps"}},
				Duration: metav1.Duration{Duration: time.Hour},
			},
			Status: v1alpha1.BreakGlassGrantStatus{Phase: v1alpha1.GrantActive, ActivatedAt: &metav1.Time{Time: now}, ExpiresAt: &exp},
		})
	}
	return out
}
