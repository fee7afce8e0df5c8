package webhook

import (
	"context"
	"net/http"

	json "github.com/goccy/go-json"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/internal/logkeys"
)

// Path is where the webhook server serves the admission webhook.
const Path = "/validate"

// ServeHTTP implements http.Handler. Malformed input is answered with a 4xx-coded refusal that
// says what is wrong; a panic with a refusal, never an allowed write.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if h.AnswerTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.AnswerTimeout)
		defer cancel()
	}
	if h.Draining != nil && h.Draining() {
		w.Header().Set("Connection", "close")
	}
	apiVersion, req, err := h.readReview(r)
	if err != nil {
		h.Log.Info("bad admission request", logkeys.Error, err.Error())
		writeReview(w, "", refuse(http.StatusBadRequest, err.Error()))
		return
	}
	writeReview(w, apiVersion, h.answer(ctx, req))
}

// writeReview writes the AdmissionReview holding resp, in the apiVersion of the review it answers
// (admission.k8s.io/v1 when that could not be read).
func writeReview(w http.ResponseWriter, apiVersion string, resp *admissionv1.AdmissionResponse) {
	if apiVersion == "" {
		apiVersion = admissionv1.SchemeGroupVersion.String()
	}
	out := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: apiVersion, Kind: "AdmissionReview"},
		Response: resp,
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(&out) // the connection is gone if this fails; nothing to tell
}
