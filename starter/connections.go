package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/internal/searchattr"
	"github.com/crmsync/crmsync/workflows"
)

// stderr takes the commands' notes (a test reads them).
var stderr io.Writer = os.Stderr

// uncheckedError is why a connection name could not be checked: CRMSYNC_CONNECTIONS names no
// file the command can read, as on a host that reaches only Temporal (docker-compose's).
type uncheckedError struct {
	where string
	err   error
}

func (e *uncheckedError) Error() string {
	return fmt.Sprintf("no connection file read here (CRMSYNC_CONNECTIONS=%s: %v)", e.where, e.err)
}

// findConnection returns the connection named name in the command's connection files. Its
// error is an *uncheckedError when there is no file to read; otherwise it names the
// connections there are, and the files that do not load (the name may be in one).
func findConnection(s settings, name string) (*config.Connection, error) {
	files, err := config.Files(s.Connections)
	if err == nil && len(files) == 0 {
		err = errors.New("no connection file there")
	}
	if err != nil {
		return nil, &uncheckedError{where: s.Connections, err: err}
	}
	conns, loadErr := config.LoadFiles(files)
	names := make([]string, 0, len(conns))
	for _, c := range conns {
		if c.Name == name {
			return c, nil
		}
		names = append(names, c.Name)
	}
	err = fmt.Errorf("no connection named %q in CRMSYNC_CONNECTIONS=%s%s (connections: %s)",
		name, s.Connections, config.DidYouMean(name, names), cmp.Or(strings.Join(names, ", "), "none"))
	if loadErr != nil {
		return nil, fmt.Errorf("%w; it may be in a file that does not load: %w", err, loadErr)
	}
	return nil, err
}

// checkConnection refuses, before anything starts, a name the command's connection files do
// not have: the worker would only pause the workflow, and `--wait` would wait for ever. With
// no file to read, the name goes through unchecked, said on stderr.
func checkConnection(s settings, command, name string) (*config.Connection, error) {
	c, err := findConnection(s, name)
	if errors.As(err, new(*uncheckedError)) {
		fmt.Fprintf(stderr, "crmsync: note: %s: connection %q not checked: %v\n", command, name, err)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", command, err)
	}
	return c, nil
}

// noWorkflowHint ends a "no workflow for connection NAME" error: the connections of the
// command's files when they have none of that name (a typo, the likelier cause), else the
// command that starts one. With no file to check the name, a name Temporal knows no workflow
// of matches nothing: it is not told to be started, as a typo would be.
func noWorkflowHint(ctx context.Context, c searchattr.Describer, s settings, name, start string) string {
	_, err := findConnection(s, name)
	var unchecked *uncheckedError
	switch {
	case errors.As(err, &unchecked):
		if !knownToTemporal(ctx, c, name) {
			return fmt.Sprintf(": Temporal knows no workflow of connection %q, and %v to check the name: check its spelling", name, unchecked)
		}
	case err != nil:
		return ": " + err.Error()
	}
	return fmt.Sprintf(" (start one with `crmsync %s %s`)", start, name)
}

// knownToTemporal reports whether Temporal knows a workflow of the connection, running or
// closed. Where it cannot tell, it says yes: the name is then taken as given.
func knownToTemporal(ctx context.Context, c searchattr.Describer, name string) bool {
	for _, id := range []string{workflows.ImportWorkflowID(name), workflows.SyncWorkflowID(name), workflows.PipelineWorkflowID(name)} {
		if r, err := describeRun(ctx, c, id); err != nil || r.exists {
			return true
		}
	}
	return false
}

// importRunsHint says, when the connection's import runs, that its sync starts once the
// import has completed: a signal for the sync has none to reach before, and start sync is
// refused until then. "" when the import does not run.
func importRunsHint(ctx context.Context, c searchattr.Describer, name string) string {
	id := workflows.ImportWorkflowID(name)
	if r, err := describeRun(ctx, c, id); err != nil || !r.running() {
		return ""
	}
	return fmt.Sprintf("connection %s's initial import %s is running, and its sync %s does not run yet: the sync starts once the import has completed, with `crmsync start sync %s` (`crmsync watch %s` follows the import)",
		name, id, workflows.SyncWorkflowID(name), name, name)
}

// missingConnection is err, findConnection's error, when the command's connection files were
// read and the name is not in them; nil when it is, or when there is no file to read.
func missingConnection(err error) error {
	if errors.As(err, new(*uncheckedError)) {
		return nil
	}
	return err
}
