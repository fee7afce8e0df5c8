package driftgate.admission_test

import rego.v1

# A test that fails: `driftgate policy test` must report it and exit 1.
test_gitops_writer_is_a_person if {
	data.driftgate.admission.writer == "person" with input as {"user": {"name": "system:serviceaccount:argocd:argocd-application-controller", "groups": [], "credential": "JTI"}}
}
