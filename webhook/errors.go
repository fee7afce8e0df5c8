package webhook

// constError is an error that can be a constant: the handler's fixed refusals.
type constError string

func (e constError) Error() string { return string(e) }
