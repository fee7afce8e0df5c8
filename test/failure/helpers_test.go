package failure_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/testenv"
	"github.com/driftgate/driftgate/webhook"
)

// fluxLabel() marks what Flux's kustomize-controller applies.
func fluxLabel() map[string]string {
	return map[string]string{"kustomize.toolkit.fluxcd.io/name": "apps"}
}

// Answers the API server gives, by the text that tells them apart.
const (
	ownedDenial   = "is owned by Flux"                               // driftgate decided: not a GitOps identity
	webhookFailed = `failed calling webhook "validate.driftgate.io"` // no answer from driftgate
)

// configMap is a ConfigMap with the labels and one data key.
func configMap(ns, name string, labels map[string]string, value string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Data:       map[string]string{"color": value},
	}
}

// create has the actor create obj.
func create(a *testenv.Actor, obj client.Object) error {
	return a.Client.Create(context.Background(), obj)
}

// mustCreate has the actor create obj, failing the test if it cannot.
func mustCreate(t *testing.T, a *testenv.Actor, obj client.Object) {
	t.Helper()
	if err := create(a, obj); err != nil {
		t.Fatalf("%s creating %s/%s: %v", a.Name, obj.GetNamespace(), obj.GetName(), err)
	}
}

// setColor has the actor change a ConfigMap's data.
func setColor(a *testenv.Actor, ns, name, value string, opts ...client.UpdateOption) error {
	cm := &corev1.ConfigMap{}
	if err := a.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, cm); err != nil {
		return err
	}
	cm.Data = map[string]string{"color": value}
	return a.Client.Update(context.Background(), cm, opts...)
}

// waitEnforced waits until the API server calls driftgate and driftgate refuses a person's
// write to an owned object in ns (the ConfigMap name must exist and be Flux-owned).
func waitEnforced(t *testing.T, ns, name string) {
	t.Helper()
	carol := cluster.Person(t, "carol")
	var last error
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last answer while waiting: %v", last)
		}
	})
	testutil.WaitFor(t, "driftgate enforcing", func() bool {
		last = setColor(carol, ns, name, "enforced?", client.DryRunAll)
		return last != nil && strings.Contains(last.Error(), ownedDenial)
	})
}

// wantAnswer checks an error against the answer expected: "" for allowed, else a fragment.
func wantAnswer(t *testing.T, what string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: %v, want allowed", what, err)
	case want != "" && err == nil:
		t.Errorf("%s: allowed, want an error containing %q", what, want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("%s: %v, want an error containing %q", what, err, want)
	}
}

// ownedNamespace makes a fresh namespace with a Flux-owned ConfigMap "app" in it.
func ownedNamespace(t *testing.T) string {
	t.Helper()
	ns := cluster.Namespace(t, nil)
	mustCreate(t, cluster.ServiceAccount(t, testenv.Flux), configMap(ns, "app", fluxLabel(), "blue"))
	return ns
}

// review asks the driftgate at port directly, as the API server would, whether carol may
// change the Flux-owned ConfigMap ns/app.
func review(t *testing.T, s *server, ns string) (*admissionv1.AdmissionResponse, error) {
	t.Helper()
	resp, _, err := reviewWith(t, webhookClient(s, true), s, ns)
	return resp, err
}

// freshReview is review over a new connection, with its own TLS handshake.
func freshReview(t *testing.T, s *server, ns string) (*admissionv1.AdmissionResponse, error) {
	t.Helper()
	resp, _, err := reviewWith(t, webhookClient(s, false), s, ns)
	return resp, err
}

// reviewWith sends the review with c and returns driftgate's answer and whether the server
// closed the connection after it.
func reviewWith(t *testing.T, c *http.Client, s *server, ns string) (*admissionv1.AdmissionResponse, bool, error) {
	t.Helper()
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request:  carolsUpdate(t, ns),
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Post(fmt.Sprintf("https://127.0.0.1:%d%s", s.port, webhook.Path), "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	var out admissionv1.AdmissionReview
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Response == nil {
		return nil, resp.Close, fmt.Errorf("HTTP %d, not an AdmissionReview: %v", resp.StatusCode, err)
	}
	return out.Response, resp.Close, nil
}

func carolsUpdate(t *testing.T, ns string) *admissionv1.AdmissionRequest {
	t.Helper()
	raw := func(value string) []byte {
		cm := configMap(ns, "app", fluxLabel(), value)
		cm.APIVersion, cm.Kind = "v1", "ConfigMap"
		b, err := json.Marshal(cm)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	req := &admissionv1.AdmissionRequest{
		UID:       types.UID("review-" + ns),
		Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "ConfigMap"},
		Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "configmaps"},
		Namespace: ns, Name: "app", Operation: admissionv1.Update,
	}
	req.UserInfo.Username = "carol"
	req.Object.Raw, req.OldObject.Raw = raw("red"), raw("blue")
	return req
}

// webhookClient trusts the server's CA and speaks HTTP/1.1, as the API server would; without
// keepAlive every request makes a new connection.
func webhookClient(s *server, keepAlive bool) *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: !keepAlive, TLSClientConfig: s.certs.clientTLS()}}
}
