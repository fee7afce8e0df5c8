package webhook

import (
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// response is the answer to a decided request: a refusal with its reason, or an allowance with
// the reason, the warnings and the audit annotations of the decision.
func response(res *Result) *admissionv1.AdmissionResponse {
	if !res.Allowed {
		return refuse(http.StatusForbidden, res.Reason)
	}
	return &admissionv1.AdmissionResponse{
		Allowed:          true,
		Result:           &metav1.Status{Code: http.StatusOK, Message: res.Reason},
		Warnings:         res.Warnings,
		AuditAnnotations: res.AuditAnnotations,
	}
}

// refuse is a refusal with code (400: the review could not be read; 403: the write is denied;
// 500: driftgate failed while deciding) and msg, which the API server shows the writer.
func refuse(code int32, msg string) *admissionv1.AdmissionResponse {
	reason := metav1.StatusReasonForbidden
	if code == http.StatusBadRequest {
		reason = metav1.StatusReasonBadRequest
	}
	return &admissionv1.AdmissionResponse{Result: &metav1.Status{Code: code, Reason: reason, Message: msg}}
}
