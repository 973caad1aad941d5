package altior

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior/sim"
)

// Records are created as the reference user the connection names, in its establishment,
// unless they name their own; an unknown reference user is a configuration error.
func TestCreateDefaults(t *testing.T) {
	e := setup(t, sim.Options{})
	tests := []struct {
		name          string
		email, estab  string
		fields        map[string]any
		owner, wantEs string
		kind          connectors.Kind
	}{
		{name: "reference user and establishment", email: "REF@example.com", estab: "E2", owner: "U1", wantEs: "E2"},
		{name: "the record's own establishment wins", email: sim.RefUserEmail, estab: "E2", fields: map[string]any{"establishment_id": "E1"}, owner: "U1", wantEs: "E1"},
		{name: "unknown reference user", email: "nobody@example.com", estab: "E1", kind: connectors.KindConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Config{BaseURL: e.srv.URL, APIKey: apiKey, RequestsPerSecond: 1000, ReferenceUserEmail: tt.email, Establishment: tt.estab})
			require.NoError(t, err)
			c.now = e.clock.Now
			fields := map[string]any{"kind": "moral", "relation": "prospect", "name": "Atelier " + tt.name}
			for k, v := range tt.fields {
				fields[k] = v
			}
			res, err := c.Create(context.Background(), connectors.ObjectCompany, []connectors.Record{{Fields: fields}})
			if tt.kind != "" {
				require.Error(t, err)
				assert.Equal(t, tt.kind, connectors.KindOf(err))
				assert.NotContains(t, err.Error(), "nobody@example.com")
				return
			}
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			got, err := c.Get(context.Background(), connectors.ObjectCompany, []string{res[0].ID})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tt.owner, got[0].Fields["owner_user_id"])
			assert.Equal(t, tt.wantEs, got[0].Fields["establishment_id"])
		})
	}
}

// A contact's identity is its main e-mail: read as "email", found by it, and written to the
// PRINCIPAL address.
func TestContactEmailIdentity(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedTiers(0, 2)
	ctx := context.Background()
	recs, err := e.client.FindByKey(ctx, connectors.ObjectContact, "email", []string{"person000001@example.com"})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, "person000001@example.com", recs[0].Fields["email"])

	res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: recs[0].ID, Fields: map[string]any{"email": "new@example.com"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{recs[0].ID})
	require.NoError(t, err)
	assert.Equal(t, "new@example.com", got[0].Fields["email.PRINCIPAL"])
	assert.Equal(t, "new@example.com", got[0].Fields["email"])
}

func TestCheckSettings(t *testing.T) {
	e := setup(t, sim.Options{})
	tests := []struct {
		name, email, estab string
		want               []string
	}{
		{name: "valid", email: sim.RefUserEmail, estab: "E2"},
		// The guide asks for the establishment's name.
		{name: "the establishment by its name", email: sim.RefUserEmail, estab: "Agence Nantes"},
		{name: "its name, case and spaces aside", email: sim.RefUserEmail, estab: " agence  nantes"},
		{name: "unknown user and establishment", email: "nobody@example.com", estab: "E9",
			want: []string{"settings.reference_user_email: configuration: no Altior user has this e-mail", `"E9" is not an Altior establishment (establishments: E1 (Siège Lyon), E2 (Agence Nantes))`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Config{BaseURL: e.srv.URL, APIKey: apiKey, RequestsPerSecond: 1000, ReferenceUserEmail: tt.email, Establishment: tt.estab})
			require.NoError(t, err)
			err = c.CheckSettings(context.Background())
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "nobody@example.com")
		})
	}
}

func TestFindAffaireByTitle(t *testing.T) {
	e := setup(t, sim.Options{})
	tid := e.seedTier(t)
	ctx := context.Background()
	res, err := e.client.Create(ctx, ObjectAffaire, []connectors.Record{
		{Fields: map[string]any{"title": "Projet Alpha"}, Links: map[string]string{"company": tid}},
		{Fields: map[string]any{"title": "Projet Beta"}, Links: map[string]string{"company": tid}},
	})
	require.NoError(t, err)
	found, err := e.client.FindByKey(ctx, ObjectAffaire, "title", []string{"projet alpha"})
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, res[0].ID, found[0].ID)
}

// An establishment that does not exist comes from the connection's settings (or a
// pipeline's), not from one record: every write would be refused alike, so the connection
// pauses (KindConfig naming the establishment and the setting) rather than quarantine the
// records one by one, as with an unknown reference user. A refusal of an establishment that
// does exist stays the record's.
func TestUnknownEstablishmentIsConfig(t *testing.T) {
	e := setup(t, sim.Options{})
	tid := e.seedTier(t)
	ctx := context.Background()
	aff, err := e.client.Create(ctx, ObjectAffaire, []connectors.Record{{Fields: map[string]any{"title": "Projet"}, Links: map[string]string{"company": tid}}})
	require.NoError(t, err)
	require.NoError(t, aff[0].Err)
	tiersRec := func(fields map[string]any) connectors.Record {
		f := map[string]any{"kind": "moral", "relation": "prospect", "name": "Atelier"}
		for k, v := range fields {
			f[k] = v
		}
		return connectors.Record{Fields: f}
	}
	affaire := connectors.Record{Fields: map[string]any{"title": "Projet neuf"}, Links: map[string]string{"company": tid}}

	tests := []struct {
		name    string
		estab   string // the connection's settings.establishment
		object  string
		update  bool
		records []connectors.Record
		kind    connectors.Kind
		want    []string // in the error
	}{
		{name: "tiers created in the connection's establishment", estab: "E9", object: connectors.ObjectCompany,
			records: []connectors.Record{tiersRec(nil), tiersRec(nil)}, kind: connectors.KindConfig,
			want: []string{`"E9" is not an Altior establishment (establishments: E1 (Siège Lyon), E2 (Agence Nantes))`, "settings.establishment"}},
		{name: "affaire created in the connection's establishment", estab: "E9", object: ObjectAffaire,
			records: []connectors.Record{affaire}, kind: connectors.KindConfig,
			want: []string{`"E9"`, "settings.establishment"}},
		{name: "tiers naming its own establishment", estab: "E1", object: connectors.ObjectCompany,
			records: []connectors.Record{tiersRec(map[string]any{"establishment_id": "E7"})}, kind: connectors.KindConfig,
			want: []string{`"E7" is not an Altior establishment`, "pipelines[].establishment"}},
		{name: "affaire moved to a pipeline's establishment", estab: "E1", object: ObjectAffaire, update: true,
			records: []connectors.Record{{ID: aff[0].ID, Fields: map[string]any{"establishment_id": "E7"}}}, kind: connectors.KindConfig,
			want: []string{`"E7" is not an Altior establishment`, "pipelines[].establishment"}},
		{name: "another refused field stays the record's", estab: "E1", object: connectors.ObjectCompany,
			records: []connectors.Record{tiersRec(map[string]any{"legal_form": "GMBH"})}, kind: connectors.KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.refClient(t, tt.estab)
			write := c.Create
			if tt.update {
				write = c.Update
			}
			res, err := write(ctx, tt.object, tt.records)
			require.Len(t, res, len(tt.records))
			if tt.kind == connectors.KindInvalid {
				require.NoError(t, err)
				assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.kind, connectors.KindOf(err))
			if tt.update {
				assert.NotEqual(t, connectors.KindInvalid, connectors.KindOf(res[0].Err), "the record is not blamed")
			} else {
				assert.Equal(t, tt.kind, connectors.KindOf(res[0].Err), "refused before anything was written")
			}
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, r := range res[1:] {
				assert.Contains(t, r.Err.Error(), "not sent")
			}
		})
	}
}

// A 400 on establishment_id naming an establishment that exists is the record's: only an
// establishment that is gone pauses the connection.
func TestEstablishmentRefusedButExisting(t *testing.T) {
	url, _ := simOnTiersPost(t, func(_ int, w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error": {"code": "invalid", "field": "establishment_id", "message": "establishment_id: closed to new tiers"}}`))
		return true
	})
	c, err := New(Config{BaseURL: url, APIKey: apiKey, RequestsPerSecond: 10000, Establishment: "E1"})
	require.NoError(t, err)
	res, err := c.Create(context.Background(), connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"name": "Un"}}})
	require.NoError(t, err)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
}

// A custom field a write names that Altior does not have (deleted or renamed there since the
// setup) comes from the connection file, cf.<CODE> in a mapping, a match or a pipeline's
// pipeline_target / stage_target: every record would be refused alike, so the connection
// pauses (KindConfig naming the field and the object) rather than quarantine the records one
// by one. A refusal of a custom field that exists stays the record's.
func TestUnknownCustomFieldIsConfig(t *testing.T) {
	tests := []struct {
		name    string
		object  string
		update  bool
		fields  map[string]any
		refuse  string // a custom field POST and PATCH refuse whatever its code, "": the simulator's own answer
		kind    connectors.Kind
		want    []string // in the error
		written int      // tiers or affaires created
	}{
		{name: "tiers created with a deleted field", object: connectors.ObjectCompany, fields: map[string]any{"name": "Atelier", "cf.SECT": "Bois"},
			kind: connectors.KindConfig, want: []string{`altior tiers have no custom field "SECT" (cf.SECT)`, "custom fields of tiers: none"}},
		{name: "affaire stage written to a deleted field", object: ObjectAffaire, update: true, fields: map[string]any{"cf.PIPE": "Ventes", "cf.ETAP": "Devis"},
			kind: connectors.KindConfig, want: []string{`altior affaires have no custom field "ETAP" (cf.ETAP)`, "PIPE (Pipeline), SLSY (Opportunité Sellsy)"}},
		{name: "affaire created with a deleted field", object: ObjectAffaire, fields: map[string]any{"title": "Projet", "cf.ETAP": "Devis"},
			kind: connectors.KindConfig, want: []string{`"ETAP"`}},
		{name: "a field that exists refused", object: connectors.ObjectCompany, fields: map[string]any{"name": "Atelier", "cf.SECT": "Bois"}, refuse: "SECT",
			kind: connectors.KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, sim.Options{})
			tid := e.seedTier(t)
			ctx := context.Background()
			aff, err := e.client.Create(ctx, ObjectAffaire, []connectors.Record{{Fields: map[string]any{"title": "Existant"}, Links: map[string]string{"company": tid}}})
			require.NoError(t, err)
			require.NoError(t, aff[0].Err)
			if tt.refuse == "" {
				// SECT and ETAP deleted in Altior since the setup.
				e.sim.SetCustomFields([]sim.CustomField{{Object: "affaire", Code: "PIPE", Label: "Pipeline", Type: "text"}, {Object: "affaire", Code: "SLSY", Label: "Opportunité Sellsy", Type: "text"}})
			}
			c := e.client
			if tt.refuse != "" {
				url, _ := simOnTiersPost(t, func(_ int, w http.ResponseWriter) bool {
					w.WriteHeader(http.StatusBadRequest)
					_, _ = w.Write([]byte(`{"error": {"code": "invalid", "field": "custom_fields.` + tt.refuse + `", "message": "custom_fields.` + tt.refuse + `: too long"}}`))
					return true
				})
				c, err = New(Config{BaseURL: url, APIKey: apiKey, RequestsPerSecond: 10000})
				require.NoError(t, err)
			}
			rec := connectors.Record{Fields: tt.fields}
			if tt.object == ObjectAffaire {
				rec.Links = map[string]string{"company": tid}
			}
			write := c.Create
			if tt.update {
				rec.ID, write = aff[0].ID, c.Update
			}
			before := e.sim.Count(sim.ObjectTiers) + e.sim.Count(sim.ObjectAffaire)
			res, err := write(ctx, tt.object, []connectors.Record{rec, rec})
			require.Len(t, res, 2)
			if tt.kind == connectors.KindInvalid {
				require.NoError(t, err)
				assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.kind, connectors.KindOf(err))
			assert.NotEqual(t, connectors.KindInvalid, connectors.KindOf(res[0].Err), "the record is not blamed")
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Equal(t, before, e.sim.Count(sim.ObjectTiers)+e.sim.Count(sim.ObjectAffaire), "nothing written")
		})
	}
}
