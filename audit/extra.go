package audit

// Rules 2 and 3: a field Git does not set but that is set live counts when managedFields shows a
// person's tool owns it (additive drift), or when an earlier sync applied it from Git and it is
// still there (stale: owned by a GitOps manager through server-side apply, or present in
// last-applied-configuration after a client-side apply). What the GitOps manager owns because
// Flux applies Git in its typed form (asApplied: empty structs, default port protocols, a
// Service port's targetPort) is not stale where live holds that form's value. Anything else
// (server-side defaults, controllers' fields, unowned fields) is not drift.

// blame is who answers for a live value Git does not set.
type blame struct {
	owned   bool   // a person's tool owns the node or something below it, or the node is stale
	whole   bool   // the node as a whole: a person's tool created or owns it whole, or it is stale whole
	manager string // the manager to report
}

// blame judges the node n, whose live value is lv.
func (w *walker) blame(n node, lv any) blame {
	var b blame
	for _, o := range n.own {
		if !o.m.human {
			continue
		}
		if !b.owned || (!b.whole && (o.whole() || o.self())) {
			b = blame{owned: true, whole: o.whole() || o.self(), manager: o.m.name}
		}
	}
	if b.owned {
		return b
	}
	// Stale only where the GitOps manager's own field set reaches the node: inside an atomic
	// value Git sets (owned whole from above), what Git leaves out are the API server's defaults.
	if o, ok := n.own.first(func(o owner) bool { return o.m.gitops && o.m.apply && o.set != nil }); ok {
		switch n.applied.(type) {
		case nil:
			return blame{owned: true, whole: o.whole() || o.self(), manager: o.m.name}
		case map[string]any:
			// Flux's form of Git has this struct (an empty strategy, a Namespace's spec): its
			// manager owns it for that; only what is below may be stale.
			return blame{owned: true, manager: o.m.name}
		default:
			// A value Flux's form of Git sets itself (a port's default protocol, a targetPort):
			// not stale where live holds it; a zero value of that form is the API server's to
			// default. Live holding another value is Git's earlier one (a targetPort Git dropped).
			if appliedHolds(n.applied, lv) {
				return blame{}
			}
			return blame{owned: true, whole: true, manager: o.m.name}
		}
	}
	if n.la != nil {
		// Client-side apply: the GitOps manager owns the defaults too; only what
		// last-applied-configuration holds was applied from Git.
		manager := ""
		if o, ok := n.own.first(func(o owner) bool { return o.m.gitops }); ok {
			manager = o.m.name
		}
		_, isObject := n.la.(map[string]any)
		return blame{owned: true, whole: !isObject, manager: manager}
	}
	return blame{}
}

// extra handles a live value at a node Git does not set.
func (w *walker) extra(n node, lv any) {
	if lv == nil || w.skip(n) || w.serverAssigned(n) {
		return
	}
	switch l := lv.(type) {
	case map[string]any:
		w.extraObject(n, l)
	case []any:
		w.extraList(n, l)
	default:
		if b := w.blame(n, lv); b.owned {
			w.report(n, nil, lv, b.manager)
		}
	}
}

// extraObject: a map Git leaves out counts as empty, so each live key is judged on its own; a
// struct is reported whole when a person's tool created it or a GitOps manager owned it whole,
// else the walk goes down to the fields a person's tool changed or Git applied.
func (w *walker) extraObject(n node, l map[string]any) {
	if len(l) == 0 {
		return
	}
	if isMapType(n.sch, l) {
		for k, v := range l {
			w.extra(w.child(n, k), v)
		}
		return
	}
	switch b := w.blame(n, l); {
	case b.whole:
		w.report(n, nil, l, b.manager)
	case b.owned:
		for k, v := range l {
			w.extra(w.child(n, k), v)
		}
	}
}

// extraList: a keyed list Git leaves out counts as empty, so each live item is judged on its
// own; other lists are one value.
func (w *walker) extraList(n node, l []any) {
	if len(l) == 0 {
		return
	}
	shape := shapeOf(n, nil, l)
	if shape.kind != keyedList {
		if b := w.blame(n, l); b.owned {
			w.report(n, nil, l, b.manager)
		}
		return
	}
	for _, it := range shape.live {
		w.extraItem(w.keyedChild(n, shape, it, it.Obj), it.Obj)
	}
}

// extraItem judges a live list item Git does not have: reported once, whole.
func (w *walker) extraItem(n node, item any) {
	if w.skip(n) {
		return
	}
	if b := w.blame(n, item); b.owned {
		w.report(n, nil, item, b.manager)
	}
}
