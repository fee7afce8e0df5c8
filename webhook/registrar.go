package webhook

import (
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/logkeys"
)

// Registrar keeps driftgate's ValidatingWebhookConfiguration as Configuration makes it from the
// configuration: created when missing (at start, and when someone deletes it while driftgate
// runs), its webhooks put back when changed. The caBundle is CABundle's when it knows one (the
// rotator's Secret, or the ca.crt beside a provided certificate), else the one found on the
// object is kept (cert-manager's CA injector fills it). It runs on the elected leader only, on
// every change of the object and every resync, which picks up a new ca.crt.
type Registrar struct {
	Client client.Client
	// APIReader reads the webhook Service uncached (one namespaced GET, no cluster-wide watch).
	APIReader client.Reader
	Config    *config.Config
	// CABundle returns the CA the API server should trust, or nil when not known yet.
	CABundle func(context.Context) ([]byte, error)
	Log      logr.Logger
}

// SetupWithManager watches the configuration by name and checks it once at start.
func (r *Registrar) SetupWithManager(mgr ctrl.Manager) error {
	name := r.Config.Webhook.ConfigurationName
	start := make(chan event.GenericEvent, 1)
	self := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: name}}
	start <- event.GenericEvent{Object: self}
	return ctrl.NewControllerManagedBy(mgr).
		Named("webhook-registration").
		For(&admissionregistrationv1.ValidatingWebhookConfiguration{}, builder.WithPredicates(
			predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetName() == name }))).
		WatchesRawSource(source.Channel(start, &handler.EnqueueRequestForObject{})).
		Complete(r)
}

// Reconcile creates or corrects the configuration.
func (r *Registrar) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	if req.Name != r.Config.Webhook.ConfigurationName {
		return ctrl.Result{}, nil
	}
	var live admissionregistrationv1.ValidatingWebhookConfiguration
	err := r.Client.Get(ctx, types.NamespacedName{Name: req.Name}, &live)
	if apierrors.IsNotFound(err) {
		return ctrl.Result{}, r.create(ctx)
	}
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("reading the webhook configuration %s: %w", req.Name, err)
	}
	if err := r.correct(ctx, &live); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: resync}, nil
}

// caInjectionAnnotation asks cert-manager's CA injector to keep caBundle.
const caInjectionAnnotation = "cert-manager.io/inject-ca-from"

// resync is how often the configuration is checked without a change to it.
const resync = time.Minute

func (r *Registrar) create(ctx context.Context) error {
	if gone, err := r.serviceGone(ctx); err != nil || gone {
		return err
	}
	ca, err := r.CABundle(ctx)
	if err != nil {
		return fmt.Errorf("reading the CA bundle for the webhook configuration: %w", err)
	}
	want := Configuration(r.Config, ca)
	want.Labels, want.Annotations = r.Config.Webhook.Labels, r.Config.Webhook.Annotations
	err = r.Client.Create(ctx, want)
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating the webhook configuration %s: %w", want.Name, err)
	}
	r.Log.Info("webhook configuration created", logkeys.Name, want.Name)
	return nil
}

// correct puts back the webhooks Configuration makes, with CABundle's CA or the one found.
func (r *Registrar) correct(ctx context.Context, live *admissionregistrationv1.ValidatingWebhookConfiguration) error {
	ca, err := r.CABundle(ctx)
	if err != nil {
		return fmt.Errorf("reading the CA bundle for the webhook configuration: %w", err)
	}
	if _, injected := live.Annotations[caInjectionAnnotation]; injected {
		ca = nil // cert-manager's CA injector keeps it, from the Secret, ahead of the mounted file
	}
	want := Configuration(r.Config, ca).Webhooks
	for i := range want {
		if len(ca) == 0 {
			want[i].ClientConfig.CABundle = caBundleOf(live, want[i].Name)
		}
	}
	if equality.Semantic.DeepEqual(want, live.Webhooks) {
		return nil
	}
	live.Webhooks = want
	if err := r.Client.Update(ctx, live); err != nil {
		return fmt.Errorf("restoring the webhook configuration %s: %w", live.Name, err)
	}
	r.Log.Info("webhook configuration restored", logkeys.Name, live.Name)
	return nil
}

// serviceGone reports whether the registration would name a Service that does not exist: while
// driftgate is being uninstalled (the Service is deleted before the pods stop), recreating the
// registration would only make every write to an owned object fail.
func (r *Registrar) serviceGone(ctx context.Context) (bool, error) {
	w := r.Config.Webhook
	if w.URL != "" {
		return false, nil
	}
	err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: w.Namespace, Name: w.ServiceName}, &corev1.Service{})
	if apierrors.IsNotFound(err) {
		r.Log.Info("webhook Service is gone, not recreating the webhook configuration", logkeys.Name, w.ServiceName)
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the webhook Service %s/%s: %w", w.Namespace, w.ServiceName, err)
	}
	return false, nil
}

func caBundleOf(c *admissionregistrationv1.ValidatingWebhookConfiguration, webhook string) []byte {
	for _, w := range c.Webhooks {
		if w.Name == webhook {
			return w.ClientConfig.CABundle
		}
	}
	return nil
}
