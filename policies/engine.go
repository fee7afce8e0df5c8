package policies

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Query is the rule every decision is read from.
const Query = "data.driftgate.admission.decision"

// Engine evaluates the admission policy. It is safe for concurrent use; Load swaps the compiled
// policy atomically, so a request is decided wholly by one policy version.
type Engine struct {
	data    map[string]any
	timeout time.Duration
	keys    *keys
	current atomic.Pointer[compiled]
}

type compiled struct {
	query   rego.PreparedEvalQuery
	version string
}

// NewEngine compiles the embedded policy plus extra with data as data.driftgate.config's source.
func NewEngine(ctx context.Context, data map[string]any, timeout time.Duration, extra Modules) (*Engine, error) {
	e := &Engine{data: data, timeout: timeout, keys: newKeys()}
	if err := e.Load(ctx, extra); err != nil {
		return nil, err
	}
	return e, nil
}

// Load compiles the embedded policy plus extra (test files are left out) and, if it compiles,
// makes it the one in force. On error the previous policy stays in force.
func (e *Engine) Load(ctx context.Context, extra Modules) error {
	mods := Merge(Embedded(false), withoutTests(extra))
	c, err := e.compile(ctx, mods)
	if err != nil {
		return err
	}
	e.current.Store(c)
	return nil
}

// compile prepares the query for mods, the complete set of policy files.
func (e *Engine) compile(ctx context.Context, mods Modules) (*compiled, error) {
	opts := []func(*rego.Rego){
		rego.Query(Query),
		// Config values are converted to AST once, here, not on every read during evaluation.
		rego.Store(inmem.NewFromObjectWithOpts(e.data, inmem.OptReturnASTValuesOnRead(true))),
		rego.StrictBuiltinErrors(true),
		// The result stays an AST value; decisionFromValue reads it without JSON conversion.
		rego.GenerateJSON(astResult),
	}
	for _, name := range mods.Names() {
		opts = append(opts, rego.Module(name, mods[name]))
	}
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy does not compile: %w", err)
	}
	return &compiled{query: pq, version: version(mods)}, nil
}

// Version identifies the policy in force (a digest of its sources).
func (e *Engine) Version() string { return e.current.Load().version }

// Evaluate decides one request. An evaluation error, panic or deadline is returned as an error;
// callers deny on any error.
func (e *Engine) Evaluate(ctx context.Context, in *Input) (d Decision, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("policy evaluation panicked: %v", r)
		}
	}()
	halt := topdown.NewCancel()
	deadline := time.AfterFunc(e.timeout, halt.Cancel)
	rs, err := e.current.Load().eval(ctx, in.value(e.keys), halt)
	if expired := !deadline.Stop(); err != nil {
		if expired {
			return Decision{}, fmt.Errorf("policy evaluation exceeded its %s deadline", e.timeout)
		}
		return Decision{}, fmt.Errorf("policy evaluation failed: %w", err)
	}
	return decisionOf(rs, e.keys)
}

// eval evaluates the query on input until halt is cancelled or ctx is done. Both stop the
// evaluation through a callback: a timer for the deadline costs less than a context with one, and
// PreparedEvalQuery.Eval, given no canceller, starts a goroutine per evaluation.
func (c *compiled) eval(ctx context.Context, input ast.Value, halt topdown.Cancel) (rego.ResultSet, error) {
	stop := context.AfterFunc(ctx, halt.Cancel)
	defer stop()
	return c.query.Eval(ctx,
		rego.EvalParsedInput(input),
		rego.EvalExternalCancel(halt),
		rego.EvalMetrics(metrics.NoOp()), // nothing reads them; a fresh set costs three maps
	)
}

// decisionOf reads the decision from the query's result, an AST value (see astResult).
func decisionOf(rs rego.ResultSet, k *keys) (Decision, error) {
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return Decision{}, fmt.Errorf("policy gave no decision (%s is undefined)", Query)
	}
	v, ok := rs[0].Expressions[0].Value.(ast.Value)
	if !ok {
		return Decision{}, fmt.Errorf("policy result is %T, not an AST value", rs[0].Expressions[0].Value)
	}
	return decisionFromValue(v, k)
}

// astResult hands a query result over as its AST value.
func astResult(t *ast.Term, _ *rego.EvalContext) (any, error) { return t.Value, nil }

func withoutTests(m Modules) Modules {
	out := Modules{}
	for name, src := range m {
		if !IsTestFile(name) {
			out[name] = src
		}
	}
	return out
}

func version(m Modules) string {
	h := sha256.New()
	for _, name := range m.Names() {
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write([]byte(m[name]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
