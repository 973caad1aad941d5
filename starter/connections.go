package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/crmsync/crmsync/config"
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
// command that starts one.
func noWorkflowHint(s settings, name, start string) string {
	if err := missingConnection(s, name); err != nil {
		return ": " + err.Error()
	}
	return fmt.Sprintf(" (start one with `crmsync %s %s`)", start, name)
}

// missingConnection is findConnection's error when the command's connection files were read
// and name is not in them; nil when it is, or when there is no file to read.
func missingConnection(s settings, name string) error {
	_, err := findConnection(s, name)
	if errors.As(err, new(*uncheckedError)) {
		return nil
	}
	return err
}
