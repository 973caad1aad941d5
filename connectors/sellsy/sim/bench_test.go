package sim

import (
	"encoding/json"
	"testing"
)

// BenchmarkPageWork measures the sim work of one page of 100 out of 50,000 contacts.
func BenchmarkPageWork(b *testing.B) {
	s := New(Options{ClientID: "a", ClientSecret: "b"})
	s.SeedPeople(0, 50000)
	p := page{limit: 100, after: firstContactID + 40000}
	b.Run("paginate+shape", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ids, _, _ := p.paginate(s.contacts.ids, nil)
			for _, id := range ids {
				_ = s.contactJSON(s.contacts.byID[id], nil)
			}
		}
	})
	b.Run("encode", func(b *testing.B) {
		ids, _, _ := p.paginate(s.contacts.ids, nil)
		var data []any
		for _, id := range ids {
			data = append(data, s.contactJSON(s.contacts.byID[id], nil))
		}
		for i := 0; i < b.N; i++ {
			_, _ = json.Marshal(data)
		}
	})
	b.Run("search-updated", func(b *testing.B) {
		keep, _ := s.buildFilter(map[string]any{"updated": map[string]any{"start": "2020-01-01T00:00:00Z"}}, false)
		for i := 0; i < b.N; i++ {
			p.paginate(s.contacts.ids, func(i int) bool { return keep(s.contacts.recs[i]) })
		}
	})
}
