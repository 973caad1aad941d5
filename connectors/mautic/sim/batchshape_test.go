package sim

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Mautic answers a batch with the PHP array of the entities written, keyed by request index:
// a failed item's key is unset (FetchCommonApiController::setBatchError), so an answer with a
// failure before a success is a JSON object keyed by index, not an array holding null, and one
// whose failures all come last is a shorter array. "errors" is there only when an item failed:
// a form error as returnError builds it in batch mode ({code, message, details, type: null}),
// other refusals as setBatchError does ({message, code, type: "api"}), which alone takes an
// edited record out of the answer. Past
// api_batch_max_limit, validateBatchPayload answers with returnError's default status, 500.
func TestBatchAnswersAsMauticShapesThem(t *testing.T) {
	tooMany := make([]map[string]any, BatchMax+1)
	for i := range tooMany {
		tooMany[i] = map[string]any{"email": fmt.Sprintf("b%d@example.com", i)}
	}
	tests := []struct {
		name, method, path string
		body               any
		status             int
		entities           string // the entities' JSON kind and keys: "array:n" or "object:k,k"
		codes              []any
		errors             map[string]map[string]any // by index: the error's fields checked
	}{
		{name: "all written", method: "POST", path: "/api/contacts/batch/new",
			body:   []map[string]any{{"email": "a@example.com"}, {"email": "b@example.com"}},
			status: 201, entities: "array:2", codes: []any{201.0, 201.0}},
		{name: "a failure first", method: "POST", path: "/api/contacts/batch/new",
			body:   []map[string]any{{"email": "bad"}, {"email": "c@example.com"}, {"email": "d@example.com"}},
			status: 201, entities: "object:1,2", codes: []any{400.0, 201.0, 201.0},
			errors: map[string]map[string]any{"0": {"code": 400.0, "type": nil,
				"message": "email: This value is not a valid email address.",
				"details": map[string]any{"email": []any{"This value is not a valid email address."}}}}},
		{name: "every refused field of an item", method: "POST", path: "/api/contacts/batch/new",
			body:   []map[string]any{{"email": "bad", "cf_select": "nope", "firstname": "Ann"}},
			status: 201, entities: "array:0", codes: []any{400.0},
			errors: map[string]map[string]any{"0": {"code": 400.0, "type": nil,
				"message": "email: This value is not a valid email address., cf_select: The value you selected is not a valid choice.",
				"details": map[string]any{"email": []any{"This value is not a valid email address."}, "cf_select": []any{"The value you selected is not a valid choice."}}}}},
		{name: "failures last", method: "POST", path: "/api/contacts/batch/new",
			body:   []map[string]any{{"email": "e@example.com"}, {"email": "bad"}},
			status: 201, entities: "array:1", codes: []any{201.0, 400.0},
			errors: map[string]map[string]any{"1": {"code": 400.0, "type": nil}}},
		{name: "an edit of a missing record between two", method: "PATCH", path: "/api/contacts/batch/edit",
			body:   []map[string]any{{"id": 1, "position": "CEO"}, {"id": 999, "position": "x"}, {"id": 2, "position": "CFO"}},
			status: 200, entities: "object:0,2", codes: []any{200.0, 404.0, 200.0},
			errors: map[string]map[string]any{"1": {"code": 404.0, "type": "api", "message": "Item was not found."}}},
		{name: "an edit refused by the form keeps its record", method: "PATCH", path: "/api/contacts/batch/edit",
			body:   []map[string]any{{"id": 1, "email": "bad"}, {"id": 999, "position": "x"}, {"id": 2, "position": "CFO"}},
			status: 200, entities: "object:0,2", codes: []any{400.0, 404.0, 200.0},
			errors: map[string]map[string]any{"0": {"code": 400.0, "type": nil}, "1": {"code": 404.0, "type": "api"}}},
		{name: "every item failed", method: "PATCH", path: "/api/contacts/batch/edit",
			body:   []map[string]any{{"id": 998}, {"id": 999}},
			status: 200, entities: "array:0", codes: []any{404.0, 404.0},
			errors: map[string]map[string]any{"0": {"code": 404.0}, "1": {"code": 404.0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ts, _ := start(t, Options{})
			s.SeedPeople(0, 3)
			status, out, raw := call(t, ts, tt.method, tt.path, tt.body)
			require.Equal(t, tt.status, status, string(raw))
			assert.Equal(t, tt.codes, out["statusCodes"])
			var top map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(raw, &top))
			switch ents := out["contacts"].(type) {
			case []any:
				assert.Equal(t, tt.entities, fmt.Sprintf("array:%d", len(ents)))
				for _, e := range ents {
					assert.NotNil(t, e, "no null stands for a failed item")
				}
			case map[string]any:
				assert.Equal(t, tt.entities, "object:"+joinKeys(keysInOrder(t, raw, "contacts")))
			default:
				t.Fatalf("contacts is %T", ents)
			}
			if tt.errors == nil {
				_, has := top["errors"]
				assert.False(t, has, "no errors key when every item was written")
				return
			}
			errs, _ := out["errors"].(map[string]any)
			require.Len(t, errs, len(tt.errors), string(top["errors"]))
			for k, want := range tt.errors {
				got, _ := errs[k].(map[string]any)
				require.NotNil(t, got, "error of item %s", k)
				for f, v := range want {
					assert.Contains(t, got, f, "item %s", k)
					assert.Equal(t, v, got[f], "item %s: %s", k, f)
				}
			}
		})
	}
	t.Run("past the batch limit", func(t *testing.T) {
		s, ts, _ := start(t, Options{})
		status, out, raw := call(t, ts, "POST", "/api/contacts/batch/new", tooMany)
		require.Equal(t, 500, status, string(raw))
		e := out["errors"].([]any)[0].(map[string]any)
		assert.Equal(t, "A max of 200 entities are supported at a time.", e["message"])
		assert.Equal(t, 500.0, e["code"])
		assert.Equal(t, []any{}, e["details"])
		assert.Equal(t, 0, s.Count("contacts"))
	})
}

func joinKeys(keys []string) string {
	out := ""
	for i, k := range keys {
		if i > 0 {
			out += ","
		}
		out += k
	}
	return out
}
