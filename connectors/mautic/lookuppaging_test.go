package mautic

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// A lookup that spans pages finds every record still there when records of its first page
// are deleted (or merged away) before the next is read: it pages on id, as List does, not on
// an offset that a deletion shifts past a record.
func TestLookupPagesSkipNoneWhenRecordsGo(t *testing.T) {
	tests := []struct {
		name    string
		deleted []int // company ids deleted after the first page is read
	}{
		{name: "none deleted"},
		{name: "one of the first page deleted", deleted: []int{5}},
		{name: "several deleted", deleted: []int{1, 100, 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := simkit.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
			s := sim.New(sim.Options{Username: user, Password: pass, Now: clk.Now})
			var once sync.Once
			lookups := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s.ServeHTTP(w, r)
				if r.Method != http.MethodGet || r.URL.Path != "/api/companies" {
					return
				}
				lookups++
				once.Do(func() { // after the first page: records go before the next is read
					for _, id := range tt.deleted {
						req := httptest.NewRequest(http.MethodDelete, fmt.Sprintf("/api/companies/%d/delete", id), nil)
						req.SetBasicAuth(user, pass)
						rec := httptest.NewRecorder()
						s.ServeHTTP(rec, req)
						require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
					}
				})
			}))
			t.Cleanup(srv.Close)
			const n = PageLimit + 50
			for i := 0; i < n; i++ { // one name, n companies (kept apart with force)
				req := httptest.NewRequest(http.MethodPost, "/api/companies/new", strings.NewReader(`{"companyname":"Dupont SA","force":1}`))
				req.SetBasicAuth(user, pass)
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
			}
			c, err := New(Config{BaseURL: srv.URL, Username: user, Password: pass, RequestsPerSecond: 1000})
			require.NoError(t, err)

			found, err := c.FindByKey(context.Background(), connectors.ObjectCompany, "companyname", []string{"Dupont SA"})
			require.NoError(t, err)
			assert.Equal(t, 2, lookups, "two pages")
			got := map[string]bool{}
			for _, r := range found {
				assert.False(t, got[r.ID], "company %s found once", r.ID)
				got[r.ID] = true
			}
			gone := map[string]bool{}
			for _, id := range tt.deleted {
				gone[fmt.Sprint(id)] = true
			}
			for id := 1; id <= n; id++ {
				if k := fmt.Sprint(id); !gone[k] {
					assert.True(t, got[k], "company %s, still there, is found", k)
				}
			}
		})
	}
}
