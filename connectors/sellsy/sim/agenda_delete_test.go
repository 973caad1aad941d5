package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Sellsy's API V2 deletes a task (Tasks_removeTask), a calendar event (Calendar_deleteEvent)
// and a comment (Comments_removeComment): DELETE /{object}/{id} answers 204 with no body, as
// the spec (v2.128.0) defines it, checked against the excerpt; the object is gone (404), a
// second DELETE finds nothing (404), and the webhooks hear "deleted". The others stay.
func TestAgendaDelete(t *testing.T) {
	rel := []map[string]any{{"type": "company", "id": 1}}
	bodies := map[string]map[string]any{
		"tasks":           {"title": "Call", "due_date": "2026-03-05T09:00:00Z", "label_id": 1, "related": rel},
		"calendar-events": {"title": "Demo", "datetime_start": "2026-03-05T09:00:00Z", "datetime_end": "2026-03-05T10:00:00Z", "label_id": 3},
		"comments":        {"description": "Met them", "related": rel},
	}
	entity := map[string]string{"tasks": "task", "calendar-events": "calendar-event", "comments": "comment"}
	for obj, body := range bodies {
		t.Run(obj, func(t *testing.T) {
			e := newEnv(t, Options{})
			e.sim.SeedPeople(0, 1)
			h, hs := newHookRecorder(t)
			require.Equal(t, 200, e.callAdmin("POST", "/_sim/webhook", `{"url":"`+hs.URL+`"}`))
			h.wait(t, 1) // the ping
			var ids []string
			for i := 0; i < 2; i++ {
				r := e.call("POST", "/v2/"+obj, body, true)
				require.Equal(t, 201, r.status, string(r.raw))
				ids = append(ids, itoa(int(r.body["id"].(float64))))
			}

			del := e.call("DELETE", "/v2/"+obj+"/"+ids[0], nil, true)
			assert.Equal(t, 204, del.status, string(del.raw))
			assert.Empty(t, del.raw)
			assert.Equal(t, 404, e.call("GET", "/v2/"+obj+"/"+ids[0], nil, false).status)
			assert.Equal(t, 404, e.call("DELETE", "/v2/"+obj+"/"+ids[0], nil, false).status)
			assert.Equal(t, 404, e.call("DELETE", "/v2/"+obj+"/424242", nil, false).status)
			assert.Equal(t, 200, e.call("GET", "/v2/"+obj+"/"+ids[1], nil, false).status)
			assert.Len(t, e.sim.DumpDocs(obj), 1)

			h.wait(t, 3) // two creations, one deletion
			h.mu.Lock()
			defer h.mu.Unlock()
			var got [][3]string
			for _, p := range h.posts {
				got = append(got, [3]string{p["event"], p["relatedtype"], p["relatedid"]})
			}
			assert.Contains(t, got, [3]string{"deleted", entity[obj], ids[0]})
		})
	}
}
