package main

import (
	"context"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/crds"
)

// demoNamespace is an ordinary namespace to try writes in.
const demoNamespace = "demo"

// tokenLifetime is how long driftgate's service account token lasts.
const tokenLifetime = 30 * 24 * time.Hour

// selfServiceAccount is the service account driftgate runs as, as the chart names it.
func selfServiceAccount(cfg *config.Config) serviceAccount {
	return serviceAccount{namespace: cfg.Webhook.Namespace, name: "driftgate"}
}

// tokens are the service-account tokens devcluster hands out: driftgate's own, and Flux's
// kustomize-controller's (the kubeconfig's flux context), so that what writes as them carries
// their real credential, as in a cluster.
type tokens struct{ self, flux string }

// install puts driftgate's CRDs, the namespaces and service accounts of the GitOps
// controllers and of driftgate, and the RBAC in the cluster, and returns their tokens.
func install(ctx context.Context, admin *rest.Config, o *options, cfg *config.Config) (tokens, error) {
	cs, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return tokens{}, fmt.Errorf("client for kube-apiserver: %w", err)
	}
	if err := installObjects(ctx, cs, admin, o, cfg); err != nil {
		return tokens{}, err
	}
	var t tokens
	if t.self, err = serviceAccountToken(ctx, cs, selfServiceAccount(cfg)); err != nil {
		return t, err
	}
	t.flux, err = serviceAccountToken(ctx, cs, fluxServiceAccount)
	return t, err
}

// fluxServiceAccount is kustomize-controller's, which the flux context authenticates as.
var fluxServiceAccount = serviceAccount{namespace: "flux-system", name: "kustomize-controller"}

func installObjects(ctx context.Context, cs kubernetes.Interface, admin *rest.Config, o *options, cfg *config.Config) error {
	if err := crds.Install(ctx, admin, o.crds, o.timeout); err != nil {
		return fmt.Errorf("installing the CRDs from %s: %w", o.crds, err)
	}
	self := selfServiceAccount(cfg)
	if err := createServiceAccounts(ctx, cs, append(gitopsServiceAccounts(cfg), self)); err != nil {
		return err
	}
	if err := createNamespace(ctx, cs, demoNamespace); err != nil {
		return err
	}
	if err := createRBAC(ctx, cs, cfg, self); err != nil {
		return err
	}
	return nil
}

func createServiceAccounts(ctx context.Context, cs kubernetes.Interface, sas []serviceAccount) error {
	for _, sa := range sas {
		if err := createNamespace(ctx, cs, sa.namespace); err != nil {
			return err
		}
		obj := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: sa.namespace, Name: sa.name}}
		if _, err := cs.CoreV1().ServiceAccounts(sa.namespace).Create(ctx, obj, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating service account %s/%s: %w", sa.namespace, sa.name, err)
		}
	}
	return nil
}

func createNamespace(ctx context.Context, cs kubernetes.Interface, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}

func createRBAC(ctx context.Context, cs kubernetes.Interface, cfg *config.Config, self serviceAccount) error {
	roles := clusterRoles(cfg)
	for i := range roles {
		if _, err := cs.RbacV1().ClusterRoles().Create(ctx, &roles[i], metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating ClusterRole %s: %w", roles[i].Name, err)
		}
	}
	bindings := clusterRoleBindings(cfg, self)
	for i := range bindings {
		if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &bindings[i], metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating ClusterRoleBinding %s: %w", bindings[i].Name, err)
		}
	}
	return aggregateClusterRoles(ctx, cs)
}

func serviceAccountToken(ctx context.Context, cs kubernetes.Interface, sa serviceAccount) (string, error) {
	tr, err := cs.CoreV1().ServiceAccounts(sa.namespace).CreateToken(ctx, sa.name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To(int64(tokenLifetime.Seconds()))},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("creating a token for %s/%s: %w", sa.namespace, sa.name, err)
	}
	return tr.Status.Token, nil
}
