package altior

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior/sim"
)

// Affaires are found by the Sellsy opportunity id in their SLSY custom field, not by title:
// two affaires with one title, and one made by hand, are told apart.
func TestFindByCustomField(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedTiers(0, 1)
	ctx := context.Background()
	tiers, err := e.client.List(ctx, connectors.ObjectCompany, connectors.ListQuery{})
	require.NoError(t, err)
	tid := tiers.Records[0].ID
	res, err := e.client.Create(ctx, ObjectAffaire, []connectors.Record{
		{Fields: map[string]any{"title": "Rénovation", "cf.SLSY": "101"}, Links: map[string]string{"company": tid}},
		{Fields: map[string]any{"title": "Rénovation", "cf.SLSY": "102"}, Links: map[string]string{"company": tid}},
		{Fields: map[string]any{"title": "Rénovation"}, Links: map[string]string{"company": tid}},
	})
	require.NoError(t, err)
	tests := []struct {
		name, object, field string
		values              []string
		want                []string
		kind                connectors.Kind
	}{
		{name: "one id", object: ObjectAffaire, field: "cf.SLSY", values: []string{"102"}, want: []string{res[1].ID}},
		{name: "several ids", object: ObjectAffaire, field: "cf.SLSY", values: []string{"101", "102", "103"}, want: []string{res[0].ID, res[1].ID}},
		{name: "tiers by custom field", object: connectors.ObjectCompany, field: "cf.SECT", values: []string{tiers.Records[0].Fields["cf.SECT"].(string)}, want: []string{tid}},
		{name: "no code", object: ObjectAffaire, field: "cf.", values: []string{"1"}, kind: connectors.KindConfig},
		{name: "contacts have no custom fields", object: connectors.ObjectContact, field: "cf.SLSY", values: []string{"1"}, kind: connectors.KindConfig},
		{name: "unknown code", object: ObjectAffaire, field: "cf.NOPE", values: []string{"1"}, kind: connectors.KindConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found, err := e.client.FindByKey(ctx, tt.object, tt.field, tt.values)
			if tt.kind != "" {
				require.Error(t, err)
				assert.Equal(t, tt.kind, connectors.KindOf(err))
				return
			}
			require.NoError(t, err)
			var ids []string
			for _, r := range found {
				ids = append(ids, r.ID)
			}
			assert.ElementsMatch(t, tt.want, ids)
		})
	}
}

// Every record reads its creation time, which stays when the record is edited.
func TestCreatedAtIsRead(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	created := e.clock.Now()
	tiers, err := e.client.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"name": "Dupont"}}})
	require.NoError(t, err)
	tid := tiers[0].ID
	contact, err := e.client.Create(ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"last_name": "Dupont"}, Links: map[string]string{"company": tid}}})
	require.NoError(t, err)
	aff, err := e.client.Create(ctx, ObjectAffaire, []connectors.Record{{Fields: map[string]any{"title": "X"}, Links: map[string]string{"company": tid}}})
	require.NoError(t, err)
	e.clock.Advance(time.Minute)
	tests := []struct {
		object, id string
		edit       map[string]any
	}{
		{connectors.ObjectCompany, tid, map[string]any{"name": "Martin"}},
		{connectors.ObjectContact, contact[0].ID, map[string]any{"last_name": "Martin"}},
		{ObjectAffaire, aff[0].ID, map[string]any{"title": "Y"}},
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			_, err := e.client.Update(ctx, tt.object, []connectors.Record{{ID: tt.id, Fields: tt.edit}})
			require.NoError(t, err)
			got, err := e.client.Get(ctx, tt.object, []string{tt.id})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.True(t, got[0].CreatedAt.Equal(created), "created %v", got[0].CreatedAt)
			assert.True(t, got[0].UpdatedAt.After(created), "updated %v", got[0].UpdatedAt)
		})
	}
}

func TestRequiredLinks(t *testing.T) {
	e := setup(t, sim.Options{})
	for object, want := range map[string][]string{
		connectors.ObjectCompany: nil,
		connectors.ObjectContact: {"company"},
		ObjectAffaire:            {"company"},
	} {
		assert.Equal(t, want, e.client.RequiredLinks(object), object)
	}
}

// A Create that stops on an error that is not one record's says which records were not sent:
// those after the one it stopped at, and that one too when the answer shows nothing was
// written (429, 403); after a 5xx that one is left unknown, for the caller to treat as such.
func TestCreateSaysWhatWasNotSent(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		wantSecond connectors.Kind // "" : no Result, unknown
	}{
		{name: "server error: unknown", status: http.StatusServiceUnavailable},
		{name: "rate limited: not written", status: http.StatusTooManyRequests, wantSecond: connectors.KindRateLimited},
		{name: "forbidden: not written", status: http.StatusForbidden, wantSecond: connectors.KindConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, _ := simOnTiersPost(t, func(n int, w http.ResponseWriter) bool {
				if n < 2 { // every create from the second on: a short quota wait is tried again
					return false
				}
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(`{"error": {"code": "x", "message": "refused"}}`))
				return true
			})
			c, err := New(Config{BaseURL: url, APIKey: apiKey, RequestsPerSecond: 10000})
			require.NoError(t, err)
			res, err := c.Create(context.Background(), connectors.ObjectCompany, threeTiers())
			require.Error(t, err)
			require.Len(t, res, 3)
			assert.NotEmpty(t, res[0].ID)
			assert.NoError(t, res[0].Err)
			assert.Empty(t, res[1].ID)
			if tt.wantSecond == "" {
				assert.NoError(t, res[1].Err, "unknown: no Result")
			} else {
				assert.Equal(t, tt.wantSecond, connectors.KindOf(res[1].Err))
			}
			assert.Equal(t, connectors.KindRetryable, connectors.KindOf(res[2].Err))
			assert.Contains(t, res[2].Err.Error(), "not sent")
		})
	}
}

// A Create stopped before the second request left (the rate limiter's wait refused, as when
// the activity's context ends while it waits) says that record was not sent, rather than
// leave it unknown: nothing was written, so a caller need not hold it for a check.
func TestCreateStoppedBeforeSendingSaysNotSent(t *testing.T) {
	lim := rate.NewLimiter(rate.Inf, 1)
	url, posts := simOnTiersPost(t, func(n int, _ http.ResponseWriter) bool {
		if n == 1 {
			lim.SetLimit(rate.Every(time.Hour)) // the next wait cannot be served
			lim.SetBurst(0)
		}
		return false
	})
	c, err := New(Config{BaseURL: url, APIKey: apiKey, Limiter: lim})
	require.NoError(t, err)
	res, err := c.Create(context.Background(), connectors.ObjectCompany, threeTiers())
	require.Error(t, err)
	require.Len(t, res, 3)
	assert.NotEmpty(t, res[0].ID)
	assert.Equal(t, 1, *posts, "the second request never left")
	for _, r := range res[1:] {
		assert.Empty(t, r.ID)
		if assert.Error(t, r.Err, "not sent, so known") {
			assert.Equal(t, connectors.KindRetryable, connectors.KindOf(r.Err))
		}
	}
}

// simOnTiersPost serves the simulator behind a hook called on the nth POST of a tiers (from
// 1), which answers it itself when it returns true; posts counts those POSTs.
func simOnTiersPost(t *testing.T, hook func(n int, w http.ResponseWriter) bool) (url string, posts *int) {
	s := sim.New(sim.Options{APIKey: apiKey})
	posts = new(int)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/v1/tiers" {
			*posts++
			if hook(*posts, w) {
				return
			}
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, posts
}

// threeTiers is three companies to create.
func threeTiers() []connectors.Record {
	var recs []connectors.Record
	for _, name := range []string{"Un", "Deux", "Trois"} {
		recs = append(recs, connectors.Record{Fields: map[string]any{"name": name}})
	}
	return recs
}
