package connectors

import "context"

// Access is what a connection does with one object of a system: it reads it, writes it too
// when Write is set, and these fields (custom ones included). Systems whose API rights are
// scoped (Sellsy's OAuth scopes) are asked up front whether their credentials allow it.
type Access struct {
	Object string
	Write  bool
	Fields []string
	Linked bool // the records' links to other objects are read and written
}

// AccessChecker is a connector that can tell, before anything runs, whether its credentials
// allow what a connection will do, naming every missing right.
type AccessChecker interface {
	CheckAccess(ctx context.Context, needs []Access) error
}
