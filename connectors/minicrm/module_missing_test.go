package minicrm

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// The guide's first prerequisite is the Orders and Webshop products activated in MiniCRM: a
// card object whose module the account lacks says so, with the modules it has, and is a
// configuration error (the connection pauses; no retry makes the module appear).
func TestAMissingModuleNamesTheProductToActivate(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /Api/R3/Category", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"20": map[string]any{"Name": "Webshop", "Type": "Generic"}, "21": map[string]any{"Name": "Sales", "Type": "Generic"}})
	})
	mux.HandleFunc("GET /Api/R3/Schema/Project/{id}", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"Name": "Text(512)"})
	})
	ts := serve(t, mux)
	cl, err := New(Config{BaseURL: ts.URL, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 600000})
	require.NoError(t, err)

	_, err = cl.Describe(context.Background(), "card:Orders")
	require.Error(t, err)
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.Contains(t, err.Error(), `MiniCRM has no module "Orders" (its modules: Sales, Webshop)`)
	assert.Contains(t, err.Error(), "activate the Orders product in MiniCRM")
}
