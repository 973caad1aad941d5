package mautic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	gojson "github.com/goccy/go-json"

	"github.com/crmsync/crmsync/connectors/mautic/sim"
)

// batchAnswerOf200 creates 200 contacts on a simulator and returns its raw answer.
func batchAnswerOf200(b *testing.B) []byte {
	b.Helper()
	srv := httptest.NewServer(sim.New(sim.Options{Username: user, Password: pass}))
	defer srv.Close()
	return create200(b, srv.URL)
}

// create200 creates 200 contacts on the simulator at base and returns its raw answer.
func create200(b *testing.B, base string) []byte {
	b.Helper()
	items := make([]map[string]any, 200)
	for i := range items {
		items[i] = map[string]any{"email": fmt.Sprintf("p%d@example.com", i), "firstname": "Anna", "lastname": "Kiss"}
	}
	body, _ := json.Marshal(items)
	return benchRequest(b, http.MethodPost, base+"/api/contacts/batch/new", bytes.NewReader(body))
}

// benchRequest makes an authenticated request and returns the raw answer.
func benchRequest(b *testing.B, method, url string, body io.Reader) []byte {
	b.Helper()
	req, _ := http.NewRequest(method, url, body)
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return raw
}

// BenchmarkDecodeBatch decodes the answer to a batch of 200 contacts (every field with its
// metadata) for the ids, with encoding/json and with go-json, which decodeBatch uses.
func BenchmarkDecodeBatch(b *testing.B) {
	raw := batchAnswerOf200(b)
	for _, bb := range []struct {
		name      string
		unmarshal func([]byte, any) error
	}{{"encoding-json", json.Unmarshal}, {"go-json", gojson.Unmarshal}} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				var a batchAnswer
				if err := bb.unmarshal(raw, &a); err != nil || len(a.Contacts) != 200 {
					b.Fatalf("%v, %d contacts", err, len(a.Contacts))
				}
			}
		})
	}
}

// listAnswerOf200 returns the simulator's answer to a list of 200 contacts.
func listAnswerOf200(b *testing.B) []byte {
	b.Helper()
	srv := httptest.NewServer(sim.New(sim.Options{Username: user, Password: pass}))
	defer srv.Close()
	create200(b, srv.URL)
	return benchRequest(b, http.MethodGet, srv.URL+"/api/contacts?limit=200&orderBy=id", nil)
}

// BenchmarkDecodeBatchList decodes a list answer of 200 contacts the way List reads it
// (streamEntities).
func BenchmarkDecodeBatchList(b *testing.B) {
	raw := listAnswerOf200(b)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		ents, err := streamEntities(raw, "contacts")
		if err != nil || len(ents) != 200 {
			b.Fatalf("%v, %d contacts", err, len(ents))
		}
	}
}
