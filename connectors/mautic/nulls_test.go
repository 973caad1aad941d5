package mautic

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// A lookup's page is full by its entries, a null one included: the next page is asked for,
// and the contact on it is found (not taken for absent, and created again).
func TestLookupPagesPastANullEntry(t *testing.T) {
	var afters []string // where id gt …: the lookup pages on id
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/fields/contact"):
			_, _ = w.Write([]byte(emailField))
		case strings.HasSuffix(r.URL.Path, "/contacts"):
			q := r.URL.Query()
			require.Equal(t, "id", q.Get("where[1][col]"))
			require.Equal(t, "gt", q.Get("where[1][expr]"))
			after := q.Get("where[1][val]")
			afters = append(afters, after)
			if after != "0" {
				_, _ = fmt.Fprintf(w, `{"total":"%d","contacts":{"%d":{"id":%[2]d,"fields":{"all":{"email":"wanted@x.io"}}}}}`, PageLimit+1, PageLimit+1)
				return
			}
			var b strings.Builder
			for id := 1; id <= PageLimit; id++ {
				if id > 1 {
					b.WriteString(",")
				}
				if id == 5 {
					fmt.Fprintf(&b, `"%d":null`, id)
					continue
				}
				fmt.Fprintf(&b, `"%d":{"id":%d,"fields":{"all":{"email":"other%d@x.io"}}}`, id, id, id)
			}
			_, _ = fmt.Fprintf(w, `{"total":"%d","contacts":{%s}}`, PageLimit+1, b.String())
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, Username: user, Password: pass, RequestsPerSecond: 1000})
	require.NoError(t, err)
	found, err := c.FindByKey(context.Background(), connectors.ObjectContact, "email", []string{"wanted@x.io"})
	require.NoError(t, err)
	assert.Equal(t, []string{"0", fmt.Sprint(PageLimit)}, afters, "the second page is read")
	assert.Equal(t, []string{fmt.Sprint(PageLimit + 1)}, ids(found))
}
