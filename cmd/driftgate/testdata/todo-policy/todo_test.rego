package driftgate.admission_test

import rego.v1

# A test not written yet: OPA skips todo_test_ rules, and `driftgate policy test` reports it as
# skipped, not failed.
todo_test_rollout_restart_permitted if {
	false
}
