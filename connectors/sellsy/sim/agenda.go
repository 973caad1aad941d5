package sim

// Tasks, calendar events, comments and smart tags (API V2), and a small API V1 endpoint.
//
//	GET|POST /v2/tasks, POST /v2/tasks/search, GET|PUT|DELETE /v2/tasks/{id}, GET /v2/tasks/labels
//	GET|POST /v2/calendar-events, POST /v2/calendar-events/search,
//	GET|PUT|DELETE /v2/calendar-events/{id}, GET /v2/calendar-events/labels
//	GET|POST /v2/comments, POST /v2/comments/search, GET|PUT|DELETE /v2/comments/{id}
//	GET|POST /v2/{companies|contacts|individuals|opportunities}/{id}/smart-tags
//	POST /0/ (API V1: form fields request, io_mode=json, do_in={"method","params"})
//
// Each object is linked to a record through "related": [{"type": "company", "id": 1}].
//
// Writes are announced to the webhooks (webhook.go): a POST as "created", a PUT as "updated",
// a DELETE as "deleted", with relatedtype task, calendar-event or comment. The reference
// lists the task entity's created and deleted events; the calendar-event and comment
// entities, and the updated events, are the simulator's choice, following the record
// entities' created / updated / deleted. The spec (v2.128.0) deletes all three
// (Tasks_removeTask, Calendar_deleteEvent, Comments_removeComment: 204, no body); it says
// nothing of a deleted comment's replies, which the simulator keeps.
//
// Calendar events follow the spec's CalendarEventCreateItem / CalendarEventUpdateItem /
// CalendarEventItem (v2.128.0): datetime_start and datetime_end (not start/end), a required
// label_id, participants [{type: staff|contact|external, id}] (no staff_ids, owner_id or
// location), at most one related record, priority 0|1, provider_calendar; the read shape adds
// owner {id, type}, label {id, name, color, is_active, rank} and company_id / individual_id /
// contact_id. A key the spec does not list is refused (400, the simulator's choice: the spec
// is silent), so that a client still sending the old keys fails loudly.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// Label is a task or calendar-event label.
type Label struct {
	ID          int
	Name, Color string
}

// Labels are the fixed task and calendar-event labels (label_id).
var Labels = []Label{{1, "Rappel", "#f7dcf5"}, {2, "Appel", "#dcf7e4"}, {3, "Rendez-vous", "#dce6f7"}}

func labelByID(id int) *Label {
	for i := range Labels {
		if Labels[i].ID == id {
			return &Labels[i]
		}
	}
	return nil
}

// docStore keeps JSON objects by id.
type docStore struct {
	next int
	ids  []int
	byID map[int]map[string]any
}

func newDocStore(first int) *docStore { return &docStore{next: first, byID: map[int]map[string]any{}} }

func (d *docStore) add(m map[string]any) int {
	id := d.next
	d.next++
	m["id"] = id
	d.ids = append(d.ids, id)
	d.byID[id] = m
	return id
}

const (
	firstTaskID    = 5_000_001
	firstEventID   = 6_000_001
	firstCommentID = 7_000_001
)

type agenda struct {
	tasks, events, comments *docStore
	tags                    map[string][]string // "contacts/5" → smart tags
	nextTag                 int
}

func newAgenda() *agenda {
	return &agenda{tasks: newDocStore(firstTaskID), events: newDocStore(firstEventID), comments: newDocStore(firstCommentID),
		tags: map[string][]string{}, nextTag: 1}
}

func (s *Server) agendaRoutes(mux *http.ServeMux) {
	for _, obj := range []string{"tasks", "calendar-events", "comments"} {
		mux.HandleFunc("GET /v2/"+obj, s.api(s.docList(obj, false)))
		mux.HandleFunc("POST /v2/"+obj+"/search", s.api(s.docList(obj, true)))
		mux.HandleFunc("POST /v2/"+obj, s.api(s.docWrite(obj, true)))
		mux.HandleFunc("GET /v2/"+obj+"/{id}", s.api(s.docGet(obj)))
		mux.HandleFunc("PUT /v2/"+obj+"/{id}", s.api(s.docWrite(obj, false)))
		mux.HandleFunc("DELETE /v2/"+obj+"/{id}", s.api(s.docDelete(obj)))
	}
	mux.HandleFunc("GET /v2/calendar-events/labels", s.api(labelList))
	mux.HandleFunc("GET /v2/tasks/labels", s.api(labelList))
	for _, obj := range []string{"companies", "contacts", "individuals", "opportunities"} {
		mux.HandleFunc("GET /v2/"+obj+"/{id}/smart-tags", s.api(s.smartTags(obj)))
		mux.HandleFunc("POST /v2/"+obj+"/{id}/smart-tags", s.api(s.smartTags(obj)))
	}
	mux.HandleFunc("POST /0/", s.v1)
}

func (s *Server) docStoreOf(obj string) *docStore {
	switch obj {
	case "tasks":
		return s.agenda.tasks
	case "calendar-events":
		return s.agenda.events
	}
	return s.agenda.comments
}

// docRelatedTypes are the record types an object can be related to.
var docRelatedTypes = map[string]string{"company": "companies", "individual": kindIndividuals, "contact": "contacts", "opportunity": kindOpportunities}

func (s *Server) checkRelated(v any, obj string, bad map[string]string) []any {
	list, ok := v.([]any)
	if !ok {
		bad["related"] = "Cette valeur doit être un tableau."
		return nil
	}
	out := []any{}
	for _, it := range list {
		m, _ := it.(map[string]any)
		typ, _ := m["type"].(string)
		id, isInt := asInt(m["id"])
		exists := false
		if st, known := docRelatedTypes[typ]; known && isInt {
			exists = s.storeOf(st).byID[id] != nil
		}
		if !exists {
			bad["related"] = "Cet objet lié n'existe pas."
			return nil
		}
		out = append(out, map[string]any{"type": typ, "id": id})
	}
	return out
}

func isTime(v any) (string, bool) {
	sv, ok := v.(string)
	if !ok {
		return "", false
	}
	_, err := time.Parse(time.RFC3339, sv)
	return sv, err == nil
}

// applyDoc validates body for obj and writes it into m; it returns the refused fields.
func (s *Server) applyDoc(obj string, m, body map[string]any, create bool) map[string]string {
	if obj == "calendar-events" {
		return s.applyEvent(m, body, create)
	}
	bad := map[string]string{}
	required := map[string][]string{"tasks": {"due_date", "label_id", "related"}, "comments": {"description", "related"}}[obj]
	if create {
		for _, k := range required {
			if _, ok := body[k]; !ok {
				bad[k] = msgMissing
			}
		}
	}
	for k, v := range body {
		switch k {
		case "title", "description", "location":
			sv, ok := v.(string)
			if !ok {
				bad[k] = msgString
			} else if sv == "" && k == "description" && obj == "comments" {
				bad[k] = "Cette valeur ne doit pas être vide."
			} else if obj == "comments" && k != "description" {
				continue
			} else {
				m[k] = sv
			}
		case "due_date":
			if obj != "tasks" {
				continue
			}
			if sv, ok := isTime(v); ok {
				m[k] = sv
			} else {
				bad[k] = "Cette valeur n'est pas une date valide."
			}
		case "label_id", "owner_id", "parent_id", "priority":
			if obj == "comments" && (k != "parent_id" || !create) || obj != "comments" && k == "parent_id" {
				continue
			}
			if v == nil && k != "label_id" {
				m[k] = nil
				continue
			}
			n, ok := asInt(v)
			switch {
			case !ok:
				bad[k] = msgInt
			case k == "label_id" && labelByID(n) == nil:
				bad[k] = "Ce libellé n'existe pas."
			case k == "parent_id" && s.agenda.comments.byID[n] == nil:
				bad[k] = "Ce commentaire n'existe pas."
			case k == "priority" && n != 0 && n != 1:
				bad[k] = "Cette valeur doit être l'un des choix proposés."
			default:
				m[k] = n
			}
		case "is_private":
			if obj == "comments" {
				continue
			}
			if b, ok := v.(bool); ok {
				m[k] = b
			} else {
				bad[k] = "Cette valeur doit être un booléen."
			}
		case "status":
			if obj != "tasks" {
				continue
			}
			if sv, _ := v.(string); sv == "todo" || sv == "done" {
				m[k] = sv
			} else {
				bad[k] = "Cette valeur doit être l'un des choix proposés."
			}
		case "assigned_staff_ids":
			if obj != "tasks" {
				continue
			}
			list, ok := v.([]any)
			ids := []int{}
			for _, x := range list {
				n, isInt := asInt(x)
				if !isInt {
					ok = false
				}
				ids = append(ids, n)
			}
			if !ok {
				bad[k] = "Cette valeur doit être une liste d'entiers."
			} else {
				m[k] = ids
			}
		case "related":
			if obj == "comments" && !create {
				continue // a comment's description only can change
			}
			if rel := s.checkRelated(v, obj, bad); rel != nil {
				if obj == "comments" && len(rel) != 1 {
					bad[k] = "Cette collection doit contenir exactement 1 élément."
				}
				if obj == "tasks" && len(rel) > 1 {
					bad[k] = "Cette collection doit contenir 1 élément ou moins."
				}
				m[k] = rel
			}
		case "mentioned_staff_ids":
			if obj != "comments" || !create {
				continue
			}
			list, ok := v.([]any)
			ids := []int{}
			for _, x := range list {
				n, isInt := asInt(x)
				ok = ok && isInt
				ids = append(ids, n)
			}
			if !ok {
				bad[k] = "Cette valeur doit être une liste d'entiers."
			} else {
				m[k] = ids
			}
		case "created":
			if !create {
				continue
			}
			if sv, ok := isTime(v); ok {
				m[k] = sv
			} else {
				bad[k] = "Cette valeur n'est pas une date valide."
			}
		}
	}
	if len(bad) > 0 {
		return bad
	}
	return nil
}

// eventKeys are the keys of the spec's CalendarEventCreateItem (created: on create only).
var eventKeys = []string{"title", "description", "datetime_start", "datetime_end", "is_private", "all_day", "label_id",
	"provider_calendar", "participants", "related", "created", "priority"}

// applyEvent validates a CalendarEventCreateItem (create) or CalendarEventUpdateItem body and
// writes it into m; it returns the refused fields.
func (s *Server) applyEvent(m, body map[string]any, create bool) map[string]string {
	bad := map[string]string{}
	if create {
		for _, k := range []string{"title", "datetime_start", "datetime_end", "label_id"} {
			if _, ok := body[k]; !ok {
				bad[k] = msgMissing
			}
		}
	}
	for k, v := range body {
		if !slices.Contains(eventKeys, k) || (k == "created" && !create) {
			bad[k] = "Ce champ n'a pas été prévu."
			continue
		}
		switch k {
		case "title", "provider_calendar":
			sv, ok := v.(string)
			switch {
			case !ok:
				bad[k] = msgString
			case k == "title" && strings.TrimSpace(sv) == "":
				bad[k] = "Cette valeur ne doit pas être vide."
			default:
				m[k] = sv
			}
		case "description":
			if sv, ok := v.(string); ok || v == nil {
				m[k] = sv // null clears it: the read shape's description is a (non-null) string
			} else {
				bad[k] = msgString
			}
		case "datetime_start", "datetime_end", "created":
			if sv, ok := isTime(v); ok && len(sv) <= 29 {
				m[k] = sv
			} else {
				bad[k] = "Cette valeur n'est pas une date valide."
			}
		case "is_private", "all_day":
			if b, ok := v.(bool); ok {
				m[k] = b
			} else {
				bad[k] = "Cette valeur doit être un booléen."
			}
		case "label_id":
			n, ok := asInt(v)
			switch {
			case !ok:
				bad[k] = msgInt
			case labelByID(n) == nil:
				bad[k] = "Ce libellé n'existe pas."
			default:
				m[k] = n
			}
		case "priority":
			if n, ok := asInt(v); ok && (n == 0 || n == 1) {
				m[k] = n
			} else {
				bad[k] = "Cette valeur doit être l'un des choix proposés."
			}
		case "participants":
			if ps, ok := s.checkParticipants(v); ok {
				m[k] = ps
			} else {
				bad[k] = "Ce participant n'existe pas."
			}
		case "related":
			if rel := s.checkRelated(v, "calendar-events", bad); rel != nil {
				if len(rel) > 1 {
					bad[k] = "Cette collection doit contenir 1 élément ou moins."
				}
				m[k] = rel
			}
		}
	}
	if bad["datetime_start"] == "" && bad["datetime_end"] == "" {
		st, _ := time.Parse(time.RFC3339, str(m["datetime_start"]))
		en, _ := time.Parse(time.RFC3339, str(m["datetime_end"]))
		if en.Before(st) {
			bad["datetime_end"] = "La date de fin doit être après la date de début."
		}
	}
	if len(bad) > 0 {
		return bad
	}
	return nil
}

// checkParticipants validates [{type: staff|contact|external, id}]: a staff or contact id
// must exist, an external participant is a non-empty string (an e-mail address).
func (s *Server) checkParticipants(v any) ([]any, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := []any{}
	for _, it := range list {
		p, _ := it.(map[string]any)
		typ, _ := p["type"].(string)
		switch typ {
		case "staff", "contact":
			id, isInt := asInt(p["id"])
			if !isInt || (typ == "staff" && staffByID(id) == nil) || (typ == "contact" && s.storeOf("contacts").byID[id] == nil) {
				return nil, false
			}
			out = append(out, map[string]any{"type": typ, "id": id})
		case "external":
			id, isStr := p["id"].(string)
			if !isStr || strings.TrimSpace(id) == "" {
				return nil, false
			}
			out = append(out, map[string]any{"type": typ, "id": id})
		default:
			return nil, false
		}
	}
	return out, true
}

func str(v any) string { s, _ := v.(string); return s }

// idKey is a participant id as text (an integer id decoded from JSON is a float64).
func idKey(v any) string {
	if n, ok := asInt(v); ok {
		return itoa(n)
	}
	return fmt.Sprint(v)
}

func asIntOr0(v any) int { n, _ := asInt(v); return n }

func labelShape(l *Label) map[string]any {
	return map[string]any{"id": l.ID, "name": l.Name, "color": l.Color, "is_active": true, "rank": l.ID}
}

// labelList serves GET /v2/tasks/labels and /v2/calendar-events/labels ({pagination, data:
// [Label]}); tasks and calendar events share the simulator's labels.
func labelList(w http.ResponseWriter, r *http.Request) {
	data := make([]map[string]any, 0, len(Labels))
	for i := range Labels {
		data = append(data, labelShape(&Labels[i]))
	}
	respondPage(w, page{limit: 25}, data, len(data), 0)
}

// docShape is the read shape: every key the spec lists, null when unset.
func docShape(obj string, m map[string]any) map[string]any {
	keys := map[string][]string{
		"tasks": {"id", "title", "description", "due_date", "priority", "is_private", "status", "assigned_staff_ids", "related", "created", "updated"},
		"calendar-events": {"id", "title", "description", "datetime_start", "datetime_end", "all_day", "is_private", "participants", "priority",
			"related", "created", "updated"},
		"comments": {"id", "description", "parent_id", "related", "created", "updated", "timetracking"},
	}[obj]
	out := map[string]any{}
	for _, k := range keys {
		out[k] = m[k]
	}
	if obj == "tasks" || obj == "calendar-events" {
		if l := labelByID(asIntOr0(m["label_id"])); l != nil {
			out["label"] = labelShape(l)
		}
	}
	if obj == "calendar-events" {
		out["description"] = str(m["description"])
		out["provider_calendar"] = nil
		if pc := str(m["provider_calendar"]); pc != "" {
			out["provider_calendar"] = map[string]any{"id": pc, "name": pc}
		}
	}
	owner := Staffs[0].ID // the API user, unless the body named another (tasks: owner_id)
	if id, ok := m["owner_id"].(int); ok {
		owner = id
	}
	out["owner"] = map[string]any{"id": owner, "type": "staff"}
	for _, k := range []string{"company_id", "individual_id", "contact_id"} {
		out[k] = nil
	}
	if rel, _ := m["related"].([]any); len(rel) == 1 {
		r := rel[0].(map[string]any)
		if k := r["type"].(string) + "_id"; k != "opportunity_id" {
			out[k] = r["id"]
		}
	}
	for _, k := range []string{"related", "assigned_staff_ids", "participants"} {
		if _, ok := out[k]; ok && out[k] == nil {
			out[k] = []any{}
		}
	}
	return out
}

func (s *Server) docWrite(obj string, create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(r)
		if err != nil || body == nil {
			badJSON(w)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		st := s.docStoreOf(obj)
		m := map[string]any{}
		if !create {
			id, ok := pathID(r, "id")
			old := st.byID[id]
			if !ok || old == nil {
				notFound(w)
				return
			}
			for k, v := range old {
				m[k] = v
			}
		} else if obj == "tasks" {
			m["status"], m["priority"], m["is_private"] = "todo", 0, false
		} else if obj == "calendar-events" {
			m["all_day"], m["is_private"], m["priority"] = false, false, 0
		}
		if bad := s.applyDoc(obj, m, body, create); bad != nil {
			invalid(w, bad)
			return
		}
		if verify(r) {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		now := ts(s.now())
		m["updated"] = now
		status := http.StatusOK
		if create {
			if _, given := m["created"]; !given {
				m["created"] = now
			}
			st.add(m)
			status = http.StatusCreated
		} else {
			st.byID[m["id"].(int)] = m
		}
		event := "updated"
		if create {
			event = "created"
		}
		s.emit(event, obj, m["id"].(int))
		simkit.WriteJSON(w, status, docShape(obj, m))
	}
}

func (s *Server) docGet(obj string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r, "id")
		s.mu.RLock()
		defer s.mu.RUnlock()
		m := s.docStoreOf(obj).byID[id]
		if !ok || m == nil {
			notFound(w)
			return
		}
		simkit.WriteJSON(w, http.StatusOK, docShape(obj, m))
	}
}

// docDelete serves DELETE (204).
func (s *Server) docDelete(obj string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r, "id")
		s.mu.Lock()
		defer s.mu.Unlock()
		st := s.docStoreOf(obj)
		if !ok || st.byID[id] == nil {
			notFound(w)
			return
		}
		delete(st.byID, id)
		st.ids = slices.DeleteFunc(st.ids, func(n int) bool { return n == id })
		s.emit("deleted", obj, id)
		w.WriteHeader(http.StatusNoContent)
	}
}

// docList serves lists and searches. Search filters: related or related_objects
// [{type,id}], companies, contacts, individuals [ids] (any of them match), parent_id,
// owners, labels, priority {min,max}, due_date {start,end} (a task's due date, an event's
// start), for tasks statuses [todo|done] and assigned_staffs, for calendar events
// participants [{type,id}].
// docFilters are the search filters of the spec's TaskFilters, CalendarEventFilters and
// CommentFilters; Sellsy refuses any other.
var docFilters = map[string][]string{
	"tasks":           {"assigned_staffs", "companies", "contacts", "created", "due_date", "individuals", "labels", "owners", "priority", "related_objects", "statuses"},
	"calendar-events": {"companies", "contacts", "due_date", "individuals", "labels", "owners", "participants", "priority", "related_objects"},
	"comments":        {"companies", "contacts", "individuals", "owners", "parent_id", "related_objects"},
}

// docOrders are the orders the spec allows on the agenda's lists and searches: taskOrder and
// calendarEventOrder, id or due_date (a task's due date, an event's start); the comments'
// order parameter lists no values and names id as its example, the one the simulator takes.
// Another order is refused (400 on order); "" is id.
var docOrders = map[string][]string{"tasks": {"id", "due_date"}, "calendar-events": {"id", "due_date"}, "comments": {"id"}}

func (s *Server) docList(obj string, search bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, bad := parsePage(r.URL.Query())
		if bad == nil {
			bad = map[string]string{}
		}
		if p.order != "" && !slices.Contains(docOrders[obj], p.order) {
			bad["order"] = msgChoice
		} else if p.cursor != "" && !p.numeric && p.keyed != (p.order == "due_date") {
			bad["offset"] = msgBadCursor // a cursor of another order
		}
		var filters map[string]any
		if search {
			body, err := readBody(r)
			if err != nil {
				badJSON(w)
				return
			}
			filters, _ = body["filters"].(map[string]any)
			for k := range filters {
				if !slices.Contains(docFilters[obj], k) {
					bad["filters."+k] = "Ce champ n'est pas autorisé."
				}
			}
		}
		if len(bad) > 0 {
			invalid(w, bad)
			return
		}
		s.mu.RLock()
		defer s.mu.RUnlock()
		st := s.docStoreOf(obj)
		keep := func(i int) bool {
			m := st.byID[st.ids[i]]
			rel, _ := filters["related_objects"].([]any)
			for key, typ := range map[string]string{"companies": "company", "contacts": "contact", "individuals": "individual"} {
				ids, _ := filters[key].([]any)
				for _, id := range ids {
					rel = append(rel, map[string]any{"type": typ, "id": id})
				}
			}
			if pid, ok := asInt(filters["parent_id"]); ok && filters["parent_id"] != nil && m["parent_id"] != pid {
				return false
			}
			if len(rel) > 0 {
				hit := false
				for _, want := range rel {
					wm, _ := want.(map[string]any)
					wid, _ := asInt(wm["id"])
					hv, _ := m["related"].([]any)
					for _, have := range hv {
						hm := have.(map[string]any)
						if hm["type"] == wm["type"] && hm["id"] == wid {
							hit = true
						}
					}
				}
				if !hit {
					return false
				}
			}
			if dd, ok := filters["due_date"].(map[string]any); ok {
				when := str(m["due_date"])
				if obj == "calendar-events" {
					when = str(m["datetime_start"])
				}
				at, err := time.Parse(time.RFC3339, when)
				for bound, before := range map[string]bool{"start": true, "end": false} {
					lim, isTime := dd[bound].(string)
					if !isTime {
						continue
					}
					b, perr := time.Parse(time.RFC3339, lim)
					if err != nil || perr != nil || (before && at.Before(b)) || (!before && at.After(b)) {
						return false
					}
				}
			}
			if pr, ok := filters["priority"].(map[string]any); ok {
				n := asIntOr0(m["priority"])
				if lo, isInt := asInt(pr["min"]); isInt && n < lo {
					return false
				}
				if hi, isInt := asInt(pr["max"]); isInt && n > hi {
					return false
				}
			}
			if ps, ok := filters["participants"].([]any); ok && len(ps) > 0 {
				have, _ := m["participants"].([]any)
				hit := false
				for _, want := range ps {
					wm, _ := want.(map[string]any)
					for _, h := range have {
						hm := h.(map[string]any)
						hit = hit || (hm["type"] == wm["type"] && idKey(hm["id"]) == idKey(wm["id"]))
					}
				}
				if !hit {
					return false
				}
			}
			if sts, ok := filters["statuses"].([]any); ok && len(sts) > 0 {
				hit := false
				for _, v := range sts {
					hit = hit || v == m["status"]
				}
				if !hit {
					return false
				}
			}
			owner := asIntOr0(m["owner_id"])
			if owner == 0 {
				owner = Staffs[0].ID
			}
			staffs, _ := m["assigned_staff_ids"].([]int)
			for key, has := range map[string]func(int) bool{
				"labels":          func(n int) bool { return asIntOr0(m["label_id"]) == n },
				"owners":          func(n int) bool { return owner == n },
				"assigned_staffs": func(n int) bool { return slices.Contains(staffs, n) },
			} {
				if list, ok := filters[key].([]any); ok && len(list) > 0 {
					hit := false
					for _, v := range list {
						hit = hit || has(asIntOr0(v))
					}
					if !hit {
						return false
					}
				}
			}
			return true
		}
		var ids []int
		var total int
		var offset any
		if p.order == "due_date" {
			when := "due_date"
			if obj == "calendar-events" {
				when = "datetime_start"
			}
			recs := make([]*record, 0, len(st.ids))
			for i, id := range st.ids {
				if keep(i) {
					recs = append(recs, &record{ID: id})
				}
			}
			key := func(r *record) string {
				at, err := time.Parse(time.RFC3339, str(st.byID[r.ID][when]))
				if err != nil {
					return "" // none sorts first
				}
				return sortTime(at)
			}
			ids, total, offset = p.orderedPage(recs, key, nil)
		} else {
			ids, total, offset = p.paginate(st.ids, keep)
		}
		data := make([]map[string]any, 0, len(ids))
		for _, id := range ids {
			data = append(data, docShape(obj, st.byID[id]))
		}
		respondPage(w, p, data, total, offset)
	}
}

// smartTags lists (GET) or links (POST [{"value":"tag"}|{"id":n}]) a record's smart tags.
func (s *Server) smartTags(obj string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r, "id")
		var body []map[string]any
		if r.Method == http.MethodPost {
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				badJSON(w)
				return
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if !ok || s.storeOf(obj).byID[id] == nil {
			notFound(w)
			return
		}
		key := obj + "/" + r.PathValue("id")
		for _, t := range body {
			v, isStr := t["value"].(string)
			if !isStr || strings.TrimSpace(v) == "" {
				invalid(w, map[string]string{"value": msgString})
				return
			}
			dup := false
			for _, have := range s.agenda.tags[key] {
				dup = dup || strings.EqualFold(have, v)
			}
			if !dup {
				s.agenda.tags[key] = append(s.agenda.tags[key], v)
			}
		}
		data := []map[string]any{}
		for i, v := range s.agenda.tags[key] {
			data = append(data, map[string]any{"id": i + 1, "value": v})
		}
		p := page{limit: 100}
		respondPage(w, p, data, len(data), 0)
	}
}

// SmartTags returns the smart tags of a record ("contacts", "5").
func (s *Server) SmartTags(obj, id string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]string(nil), s.agenda.tags[obj+"/"+id]...)
}

// DumpDocs returns the read shape of every "tasks", "calendar-events" or "comments" object.
func (s *Server) DumpDocs(obj string) []map[string]any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.docStoreOf(obj)
	out := []map[string]any{}
	for _, id := range st.ids {
		out = append(out, docShape(obj, st.byID[id]))
	}
	return out
}

// ---- API V1 ----

// v1Reply writes the V1 envelope (always HTTP 200, as Sellsy does).
func v1Reply(w http.ResponseWriter, response any, code, message string) {
	if code != "" {
		simkit.WriteJSON(w, http.StatusOK, map[string]any{"status": "error", "response": nil,
			"error": map[string]any{"code": code, "message": message, "more": ""}})
		return
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"status": "success", "error": "", "response": response})
}

// v1Auth checks OAuth 1.0a PLAINTEXT (signature consumer_secret&user_secret, raw or
// url-encoded once more) or a V2 bearer token. It returns the oauth_problem, if any.
func (s *Server) v1Auth(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
		s.mu.RLock()
		exp, known := s.tokens[tok]
		s.mu.RUnlock()
		if known && !s.opt.Now().After(exp) {
			return ""
		}
		return "token_rejected"
	}
	rest, ok := strings.CutPrefix(h, "OAuth ")
	if !ok {
		return "parameter_absent"
	}
	p := map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		v = strings.Trim(v, `"`)
		if u, err := url.PathUnescape(v); err == nil {
			v = u
		}
		p[k] = v
	}
	o := s.opt
	if o.V1ConsumerToken == "" || p["oauth_consumer_key"] != o.V1ConsumerToken {
		return "consumer_key_refused"
	}
	if p["oauth_token"] != o.V1UserToken || p["oauth_signature_method"] != "PLAINTEXT" {
		return "token_rejected"
	}
	enc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	want := enc(o.V1ConsumerSecret) + "&" + enc(o.V1UserSecret)
	sig := p["oauth_signature"]
	if u, err := url.PathUnescape(sig); err == nil && u != sig && sig != want {
		sig = u
	}
	if sig != want && sig != o.V1ConsumerSecret+"&"+o.V1UserSecret {
		return "signature_invalid"
	}
	return ""
}

// v1 answers Infos.getInfos, Client.getList, Prospects.getList, Supplier.getList and
// Client.getOne; any other method gets E_METHOD_DONT_EXIT.
func (s *Server) v1(w http.ResponseWriter, r *http.Request) {
	if !s.quota(w) {
		return
	}
	if problem := s.v1Auth(r); problem != "" {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte("oauth_problem=" + problem))
		return
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil && err != http.ErrNotMultipart {
		v1Reply(w, nil, "E_DO_IN_WRONG_FORMAT", "unreadable form")
		return
	}
	if r.FormValue("io_mode") != "json" {
		v1Reply(w, nil, "E_IO_MODE_DONT_EXIST", "io_mode must be json")
		return
	}
	doIn := r.FormValue("do_in")
	if doIn == "" {
		v1Reply(w, nil, "E_IO_MODE_DO_IN_MISSING", "do_in is missing")
		return
	}
	var req struct {
		Method string         `json:"method"`
		Params map[string]any `json:"params"`
	}
	if err := json.Unmarshal([]byte(doIn), &req); err != nil {
		v1Reply(w, nil, "E_DO_IN_WRONG_FORMAT", "do_in is not JSON")
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch req.Method {
	case "Infos.getInfos":
		v1Reply(w, map[string]any{"consumerdatas": map[string]any{"id": 1}, "userdatas": map[string]any{"id": Staffs[0].ID},
			"corporation": map[string]any{"name": "Sellsy simulator"}}, "", "")
	case "Client.getList", "Prospects.getList", "Supplier.getList":
		typ := map[string]string{"Client.getList": "client", "Prospects.getList": "prospect", "Supplier.getList": "supplier"}[req.Method]
		pg, _ := req.Params["pagination"].(map[string]any)
		per, _ := asInt(pg["nbperpage"])
		num, _ := asInt(pg["pagenum"])
		if per <= 0 {
			per = 10
		}
		if num <= 0 {
			num = 1
		}
		var ids []int
		for _, id := range s.companies.ids {
			if t, _ := s.companies.byID[id].F["type"].(string); t == typ {
				ids = append(ids, id)
			}
		}
		sort.Ints(ids)
		result := map[string]any{}
		for i := (num - 1) * per; i < len(ids) && i < num*per; i++ {
			c := s.companies.byID[ids[i]]
			result[itoa(c.ID)] = map[string]any{"id": itoa(c.ID), "thirdid": itoa(c.ID), "name": c.F["name"], "fullName": c.F["name"], "email": c.F["email"], "tel": c.F["phone_number"]}
		}
		pages := (len(ids) + per - 1) / per
		v1Reply(w, map[string]any{"infos": map[string]any{"nbperpage": per, "nbpages": pages, "pagenum": num, "nbtotal": len(ids)}, "result": result}, "", "")
	case "Client.getOne":
		id, ok := asInt(req.Params["clientid"])
		c := s.companies.byID[id]
		if !ok || c == nil {
			v1Reply(w, nil, "E_OBJ_NOT_LOADABLE", "Object third not loadable")
			return
		}
		v1Reply(w, map[string]any{"client": map[string]any{"id": itoa(c.ID), "name": c.F["name"], "email": c.F["email"]}}, "", "")
	default:
		v1Reply(w, nil, "E_METHOD_DONT_EXIT", "Method "+req.Method+" does not exist")
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
