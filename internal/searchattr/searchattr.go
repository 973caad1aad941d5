// Package searchattr registers crmsync's search attributes on a namespace, and reads them back
// from a workflow's description. The worker and the CLI both call it, so that whichever
// reaches a fresh server first prepares it.
package searchattr

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/workflows"
)

// Ensure adds crmsync's search attributes to the namespace when they are missing, so that a
// fresh server shows connection, phase and counts in the workflow list, and waits until the
// server lists them. One the namespace holds with another type than crmsync's (created by
// hand) is a WrongTypeError, checked in the same listing: the server refuses every upsert of
// it, and adding is no cure.
func Ensure(ctx context.Context, c client.Client, namespace string) error {
	existing, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return err
	}
	types := workflows.SearchAttributeTypes()
	missing := map[string]enums.IndexedValueType{}
	for _, name := range slices.Sorted(maps.Keys(types)) {
		typ := types[name]
		if got, ok := existing.GetCustomAttributes()[name]; ok {
			if got.String() != typ {
				return &WrongTypeError{Namespace: namespace, Name: name, Type: got.String(), Want: typ}
			}
			continue
		}
		switch typ {
		case "Keyword":
			missing[name] = enums.INDEXED_VALUE_TYPE_KEYWORD
		case "Int":
			missing[name] = enums.INDEXED_VALUE_TYPE_INT
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) { // AlreadyExists: another process added them first
		return err
	}
	deadline := time.Now().Add(ensureWait)
	for {
		got, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
		if err != nil {
			return err
		}
		all := true
		for name := range missing {
			if _, ok := got.GetCustomAttributes()[name]; !ok {
				all = false
			}
		}
		if all {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("namespace %s: the server does not list the search attributes added (%s) after %s: workflows would fail to publish their progress", namespace, strings.Join(slices.Sorted(maps.Keys(missing)), ", "), ensureWait)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// WrongTypeError is Ensure's answer for a search attribute the namespace holds with another
// type than crmsync's: every workflow would stall on its first upsert of it, and a type
// cannot be changed, only the attribute removed and added again.
type WrongTypeError struct {
	Namespace, Name, Type, Want string
}

func (e *WrongTypeError) Error() string {
	return fmt.Sprintf("namespace %s: search attribute %s is %s, crmsync needs %s: every workflow would fail to publish its progress; remove it (temporal operator search-attribute remove --namespace %s --name %s) and start the worker again, which adds it",
		e.Namespace, e.Name, e.Type, e.Want, e.Namespace, e.Name)
}

// ensureWait is how long Ensure waits for the server to list the attributes it added.
var ensureWait = 15 * time.Second

// Commands returns the Temporal CLI commands that register crmsync's search attributes, for
// an operator to run where the worker may not (Temporal Cloud, a restricted role).
func Commands(namespace string) []string {
	types := workflows.SearchAttributeTypes()
	var out []string
	for _, name := range slices.Sorted(maps.Keys(types)) {
		out = append(out, fmt.Sprintf("temporal operator search-attribute create --namespace %s --name %s --type %s", namespace, name, types[name]))
	}
	return out
}

// Keyword reads a keyword search attribute as a list or a description of a workflow gives it:
// "" when the workflow has none (it never published it, or was started without it).
func Keyword(attrs *commonpb.SearchAttributes, key temporal.SearchAttributeKeyKeyword) string {
	var v string
	if p, ok := attrs.GetIndexedFields()[key.GetName()]; ok {
		_ = converter.GetDefaultDataConverter().FromPayload(p, &v)
	}
	return v
}

// Describer is the part of a Temporal client Paused uses.
type Describer interface {
	DescribeWorkflowExecution(ctx context.Context, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error)
}

// Paused reports whether a connection's initial import or incremental sync runs and last
// published the paused phase: what writes outside the workflows (a push, a quarantine retry)
// asks before writing, since a pause must hold every write. No running workflow is not a
// pause; neither is a paused PipelineSync alone (its pause is about stages, which a push of
// a record does not move).
func Paused(ctx context.Context, c Describer, connection string) (bool, error) {
	for _, id := range []string{workflows.ImportWorkflowID(connection), workflows.SyncWorkflowID(connection)} {
		if paused, err := WorkflowPaused(ctx, c, id); paused || err != nil {
			return paused, err
		}
	}
	return false, nil
}

// WorkflowPaused reports whether a workflow runs and last published the paused phase: what a
// pass asks between two pages, to stop at once when its own workflow was paused. No such
// workflow is not a pause.
func WorkflowPaused(ctx context.Context, c Describer, workflowID string) (bool, error) {
	d, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return false, nil
	case err != nil:
		return false, err
	}
	info := d.GetWorkflowExecutionInfo()
	return info.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING &&
		Keyword(info.GetSearchAttributes(), workflows.AttrPhase) == workflows.PhasePaused, nil
}
