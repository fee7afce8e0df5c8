package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/driftgate/driftgate/internal/crds"
	"github.com/driftgate/driftgate/internal/pki"
	"github.com/driftgate/driftgate/internal/supervise"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/loadgen"
)

// Gatekeeper runs outside a cluster, as a Pod of gatekeeper-system would: its status operation
// names that Pod (POD_NAME) as the owner of the status objects it writes.
const (
	gatekeeperNamespace = "gatekeeper-system"
	gatekeeperPod       = "gatekeeper-peerbench"
	gatekeeperPath      = "/v1/admit"
	// reviewNamespace is the namespace of the reviewed Deployment, which Gatekeeper looks up.
	reviewNamespace = "prod"
)

func templateGVR() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "templates.gatekeeper.sh", Version: "v1", Resource: "constrainttemplates"}
}

func constraintGVR() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "constraints.gatekeeper.sh", Version: "v1beta1", Resource: "driftgateownership"} // Gatekeeper names the plural as the kind
}

// gatekeeper is the control plane (envtest's etcd and kube-apiserver) and Gatekeeper beside it.
type gatekeeper struct {
	env  *envtest.Environment
	proc *supervise.Process
	url  string
}

// startGatekeeper starts a control plane, installs Gatekeeper's CRDs, starts Gatekeeper with its
// webhook, constraint-CRD generation and status operations, and installs the template and the
// constraint with grants.
func startGatekeeper(ctx context.Context, o *options, out func(string, ...any)) (*gatekeeper, error) {
	gk := &gatekeeper{env: &envtest.Environment{BinaryAssetsDirectory: o.assets}}
	start := time.Now()
	cfg, err := gk.env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the control plane from %s: %w", o.assets, err)
	}
	out("control plane (etcd, kube-apiserver) up in %s", time.Since(start).Round(100*time.Millisecond))
	admin, err := gk.env.AddUser(envtest.User{Name: "peerbench", Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		return gk, err
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		return gk, err
	}
	kubeconfigPath := filepath.Join(o.dir, "gatekeeper.kubeconfig")
	if err := os.WriteFile(kubeconfigPath, kubeconfig, 0o600); err != nil {
		return gk, err
	}
	if err := crds.Install(ctx, cfg, filepath.Join(o.gatekeeper, "crds"), o.timeout); err != nil {
		return gk, fmt.Errorf("installing Gatekeeper's CRDs from %s: %w", filepath.Join(o.gatekeeper, "crds"), err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return gk, err
	}
	if err := createObjects(ctx, cs); err != nil {
		return gk, err
	}
	certDir := filepath.Join(o.dir, "gatekeeper-certs")
	if err := servingCert(certDir); err != nil {
		return gk, err
	}
	ports, err := testutil.FreePorts(3)
	if err != nil {
		return gk, err
	}
	gk.proc, err = supervise.Start(supervise.Spec{
		Name: "gatekeeper",
		Path: filepath.Join(o.gatekeeper, "manager"),
		Args: []string{
			"--operation=webhook", "--operation=generate", "--operation=status",
			"--host=127.0.0.1", "--port=" + strconv.Itoa(ports[0]),
			"--cert-dir=" + certDir, "--disable-cert-rotation",
			"--health-addr=127.0.0.1:" + strconv.Itoa(ports[1]),
			"--prometheus-port=" + strconv.Itoa(ports[2]),
			"--shutdown-delay=0",
		},
		Env: append(os.Environ(), "KUBECONFIG="+kubeconfigPath, "POD_NAME="+gatekeeperPod, "POD_NAMESPACE="+gatekeeperNamespace),
		Log: filepath.Join(o.dir, "gatekeeper.log"),
	})
	if err != nil {
		return gk, err
	}
	health := fmt.Sprintf("http://127.0.0.1:%d/readyz", ports[1])
	if err := gk.proc.WaitReady(ctx, o.timeout, supervise.AnswersOK(http.DefaultClient, health)); err != nil {
		return gk, err
	}
	gk.url = fmt.Sprintf("https://127.0.0.1:%d%s", ports[0], gatekeeperPath)
	out("Gatekeeper ready (pid %d, log %s)", gk.proc.PID, gk.proc.Log)
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return gk, err
	}
	return gk, installPolicy(ctx, dyn, o, out)
}

// createObjects creates Gatekeeper's namespace and its Pod (which no kubelet runs), and the
// reviewed object's namespace.
func createObjects(ctx context.Context, cs kubernetes.Interface) error {
	for _, ns := range []string{gatekeeperNamespace, reviewNamespace} {
		obj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
		if _, err := cs.CoreV1().Namespaces().Create(ctx, obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %s: %w", ns, err)
		}
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: gatekeeperNamespace, Name: gatekeeperPod},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "manager", Image: "openpolicyagent/gatekeeper"}}},
	}
	if _, err := cs.CoreV1().Pods(gatekeeperNamespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating Gatekeeper's Pod: %w", err)
	}
	return nil
}

// servingCert writes Gatekeeper's tls.crt and tls.key (for 127.0.0.1), issued by a CA of its own.
func servingCert(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	ca, err := pki.NewCA("peerbench-gatekeeper-ca")
	if err != nil {
		return err
	}
	kp, err := ca.Issue(pki.ServingTemplate("gatekeeper-webhook-service"))
	if err != nil {
		return err
	}
	return pki.WriteKeyPair(dir, "tls", kp)
}

// installPolicy creates the template, waits until Gatekeeper serves its constraint kind, and
// creates the constraint with o.grants grants.
func installPolicy(ctx context.Context, dyn dynamic.Interface, o *options, out func(string, ...any)) error {
	t, err := template()
	if err != nil {
		return err
	}
	if _, err := dyn.Resource(templateGVR()).Create(ctx, t, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating the ConstraintTemplate: %w", err)
	}
	c, err := constraint(loadgen.Grants(o.grants, time.Now()))
	if err != nil {
		return err
	}
	deadline := time.Now().Add(o.timeout)
	for {
		_, err := dyn.Resource(constraintGVR()).Create(ctx, c, metav1.CreateOptions{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("creating the constraint (Gatekeeper did not serve its kind within %s): %w", o.timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	out("installed the ConstraintTemplate %s and its constraint %s with %d grants", t.GetName(), c.GetName(), o.grants)
	return nil
}

// stop stops Gatekeeper and the control plane.
func (gk *gatekeeper) stop() error {
	if gk.proc != nil {
		if err := gk.proc.Stop(10 * time.Second); err != nil {
			return err
		}
	}
	return gk.env.Stop()
}
