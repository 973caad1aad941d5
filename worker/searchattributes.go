package main

import (
	"context"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/crmsync/crmsync/workflows"
)

// registerSearchAttributes adds crmsync's search attributes to the namespace when they are
// missing, so that a fresh server shows connection, phase and counts in the workflow list.
func registerSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	existing, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return err
	}
	missing := map[string]enums.IndexedValueType{}
	for name, typ := range workflows.SearchAttributeTypes() {
		if _, ok := existing.GetCustomAttributes()[name]; ok {
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
	return err
}
