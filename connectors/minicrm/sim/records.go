package sim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// ---- Category and schema --------------------------------------------------------------------

func (s *Server) category(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{}
	for i, c := range s.cats {
		if r.URL.Query().Get("Detailed") == "1" {
			out[strconv.Itoa(c.ID)] = map[string]any{"Id": c.ID, "OrderId": i + 1, "Name": c.Name, "Type": c.Type,
				"SenderName": "Webshop", "SenderEmail": "shop@example.com", "Phone": "+36 1 234 5678"}
		} else {
			out[strconv.Itoa(c.ID)] = c.Name
		}
	}
	simkit.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) schemaProject(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	c := s.cat(id)
	if !ok || c == nil {
		plain(w, http.StatusNotFound, fmt.Sprintf("Schema: unknown category '%s'.", r.PathValue("id")))
		return
	}
	s.mu.Lock()
	schema := s.projectSchema(c)
	s.mu.Unlock()
	simkit.WriteJSON(w, http.StatusOK, schema)
}

// projectSchema is the schema of c's cards (mu held: access may change).
func (s *Server) projectSchema(c *Category) map[string]any {
	st := map[string]string{}
	for _, x := range c.Statuses {
		st[strconv.Itoa(x.ID)] = x.Name
	}
	us := map[string]string{}
	for _, u := range s.owners(c) {
		us[strconv.Itoa(u.ID)] = u.Name
	}
	out := map[string]any{"Name": "Text(512)", "StatusId": st, "UserId": us, "ContactId": "Int", "BusinessId": "Int"}
	for k, v := range c.Fields {
		out[k] = v
	}
	return out
}

// contactSchemas are Schema/Person and Schema/Business: documented fields (§4.4) and, on
// persons, two custom fields shaped as the documented card schema shows them (a Boolean, and
// an Enum as {id: label}). Tags (Tags[] on both, §4.4) is typed "Array": the documentation
// does not show its schema type.
var contactSchemas = map[string]map[string]any{
	"Person": {"FirstName": "Text(255)", "LastName": "Text(255)", "Email": "Email", "Phone": "Phone",
		"Position": "Text(255)", "BusinessId": "Int", "Description": "Text(1024)", "Tags": "Array",
		"Newsletter": "Boolean", "Enum1221": map[string]string{"2673": "Facebook", "2675": "SEO", "2677": "Google Ads", "2774": "LinkedIn"}},
	"Business": {"Name": "Text(512)", "Email": "Email", "Phone": "Phone", "VatNumber": "Text(64)",
		"RegistrationNumber": "Text(64)", "Description": "Text(1024)", "Url": "Url", "Tags": "Array",
		"Industry": "Text(255)", "Employees": "Int", "EUVatNumber": "Text(64)"},
}

func (s *Server) schemaContact(w http.ResponseWriter, r *http.Request) {
	sc, ok := contactSchemas[r.PathValue("type")]
	if !ok {
		plain(w, http.StatusNotFound, fmt.Sprintf("Schema: unknown type '%s'.", r.PathValue("type")))
		return
	}
	simkit.WriteJSON(w, http.StatusOK, sc)
}

// ---- Contact ----------------------------------------------------------------------------------

// contactShape is a contact as GET /Contact/{id} answers it: enums by label (as cards'),
// Tags as a list of labels, [] when none.
func (s *Server) contactShape(id int, m map[string]any) map[string]any {
	out := shape(m)
	sc := contactSchemas[str(m["Type"])]
	for k, v := range m {
		if opts, ok := sc[k].(map[string]string); ok && v != nil {
			out[k] = opts[str(v)]
		}
	}
	if _, ok := sc["Tags"]; ok {
		tags, _ := m["Tags"].([]string)
		out["Tags"] = append([]string{}, tags...)
	}
	out["Url"] = fmt.Sprintf("https://r3.minicrm.hu/Api/R3/Contact/%d", id)
	return out
}

// shape is a record as the API writes it: times in MiniCRM's format.
func shape(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = fmtTime(v)
	}
	return out
}

// searchParams reads the Page and UpdatedSince parameters of a search of entity, answering
// MiniCRM's 400 when one is not valid.
func searchParams(w http.ResponseWriter, q url.Values, entity string) (page int, since time.Time, ok bool) {
	if page, ok = pageOf(q); !ok {
		plain(w, http.StatusBadRequest, entity+": Invalid value for the Page parameter.")
		return 0, time.Time{}, false
	}
	if v := q.Get("UpdatedSince"); v != "" {
		if since, ok = parseSince(v); !ok {
			plain(w, http.StatusBadRequest, fmt.Sprintf("%s: Invalid value '%s' for the UpdatedSince parameter.", entity, v))
			return 0, time.Time{}, false
		}
	}
	return page, since, true
}

func (s *Server) contactSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, since, ok := searchParams(w, q, "Contact")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int
	for _, id := range sortedIDs(s.contacts) {
		m := s.contacts[id]
		if str(m["Deleted"]) != q.Get("Deleted") && !(q.Get("Deleted") == "" && str(m["Deleted"]) == "0") {
			continue
		}
		match := true
		for k, vs := range q {
			v := vs[0]
			switch k {
			case "Page", "Deleted", "UpdatedSince":
			case "Email", "Name":
				match = match && strings.EqualFold(str(m[k]), v)
			case "Type", "Phone", "BusinessId":
				match = match && str(m[k]) == v
			case "MainContactId":
				match = match && str(m["BusinessId"]) == v
			case "Query":
				l := strings.ToLower(v)
				match = match && (strings.Contains(strings.ToLower(str(m["Name"])), l) || strings.Contains(strings.ToLower(str(m["Email"])), l))
			default:
				opts, _ := contactSchemas[str(m["Type"])][k].(map[string]string)
				match = match && (str(m[k]) == v || (m[k] != nil && strings.EqualFold(opts[str(m[k])], v)))
			}
		}
		if match && !since.IsZero() && m["UpdatedAt"].(time.Time).Before(since) {
			match = false
		}
		if match {
			ids = append(ids, id)
		}
	}
	results(w, ids, page, func(id int) map[string]any {
		m := s.contacts[id]
		return map[string]any{"Id": id, "Name": m["Name"], "Url": fmt.Sprintf("https://r3.minicrm.hu/Api/R3/Contact/%d", id),
			"Type": m["Type"], "Email": m["Email"], "Phone": m["Phone"], "BusinessId": m["BusinessId"]}
	})
}

func (s *Server) contactGet(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.contacts[id]
	if !ok {
		plain(w, http.StatusNotFound, fmt.Sprintf("Contact: no contact with id '%s'.", r.PathValue("id")))
		return
	}
	simkit.WriteJSON(w, http.StatusOK, s.contactShape(id, m))
}

func (s *Server) contactPut(w http.ResponseWriter, r *http.Request) {
	body, err := decodeBody(r)
	if err != nil {
		plain(w, http.StatusBadRequest, "Contact (PUT): The request body is not valid JSON.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var rec map[string]any
	id := 0
	if r.PathValue("id") != "" {
		id, _ = pathID(r)
		if rec = s.contacts[id]; rec == nil {
			plain(w, http.StatusNotFound, fmt.Sprintf("Contact (PUT): no contact with id '%s'.", r.PathValue("id")))
			return
		}
	}
	typ := str(body["Type"])
	if rec != nil {
		if typ != "" && typ != rec["Type"] {
			plain(w, http.StatusBadRequest, fmt.Sprintf("Contact (PUT): Invalid value '%s' for the Type field.", typ))
			return
		}
		typ = rec["Type"].(string)
	}
	sc, ok := contactSchemas[typ]
	if !ok {
		plain(w, http.StatusBadRequest, fmt.Sprintf("Contact (PUT): Invalid value '%s' for the Type field.", typ))
		return
	}
	upd := map[string]any{}
	for k, v := range body {
		if k == "Type" || k == "Id" {
			continue
		}
		if k == "Deleted" {
			upd[k] = map[bool]int{true: 1, false: 0}[str(v) == "1" || str(v) == "true"]
			continue
		}
		t, known := sc[k]
		if !known {
			plain(w, http.StatusBadRequest, fmt.Sprintf("Contact (PUT): Unknown field '%s'.", k))
			return
		}
		val, msg := s.convert("Contact (PUT)", k, t, v)
		if msg != "" {
			plain(w, http.StatusBadRequest, msg)
			return
		}
		if k == "BusinessId" && val != nil {
			if b := s.contacts[val.(int)]; b == nil || b["Type"] != "Business" {
				plain(w, http.StatusBadRequest, fmt.Sprintf("Contact (PUT): Invalid value '%s' for the BusinessId field.", str(v)))
				return
			}
		}
		upd[k] = val
	}
	now := s.now()
	if rec == nil {
		if typ == "Business" && str(upd["Name"]) == "" {
			plain(w, http.StatusBadRequest, "Contact (PUT): The Name field is required.")
			return
		}
		if typ == "Person" && str(upd["FirstName"]) == "" && str(upd["LastName"]) == "" && str(upd["Email"]) == "" {
			plain(w, http.StatusBadRequest, "Contact (PUT): FirstName, LastName or Email is required.")
			return
		}
		id = s.newID()
		rec = map[string]any{"Id": id, "Type": typ, "Deleted": 0, "CreatedAt": now, "CreatedBy": "API"}
		for k := range sc {
			rec[k] = nil
		}
		rec["Tags"] = []string{}
		s.contacts[id] = rec
	}
	for k, v := range upd {
		rec[k] = v
	}
	if typ == "Person" {
		rec["Name"] = strings.TrimSpace(str(rec["FirstName"]) + " " + str(rec["LastName"]))
	}
	rec["UpdatedAt"], rec["UpdatedBy"] = now, "API"
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"Id": id})
}

// convert checks one value against a schema type and returns what is stored, or the
// plain-text 400 message.
func (s *Server) convert(op, field string, typ any, v any) (any, string) {
	bad := fmt.Sprintf("%s: Invalid value '%s' for the %s field.", op, str(v), field)
	if typ == "Array" {
		// A list, as GET answers it (Tags[]); null or [] is none. Entries are free text
		// (new tags are created, an assumption).
		if v == nil {
			return []string{}, ""
		}
		list, ok := v.([]any)
		if !ok {
			return nil, bad
		}
		out := []string{}
		for _, e := range list {
			t, ok := e.(string)
			if !ok {
				return nil, bad
			}
			if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
		return out, ""
	}
	if typ == "File" {
		return fileValue(v, bad)
	}
	if v == nil || str(v) == "" {
		return nil, ""
	}
	if opts, ok := typ.(map[string]string); ok {
		in := str(v)
		if _, ok := opts[in]; ok {
			n, _ := strconv.Atoi(in)
			return n, ""
		}
		for id, label := range opts {
			if strings.EqualFold(label, in) {
				n, _ := strconv.Atoi(id)
				return n, ""
			}
		}
		return nil, fmt.Sprintf("%s: Invalid value 'Such value cannot be found in CRM' for the %s field.", op, field)
	}
	t := typ.(string)
	switch {
	case strings.HasPrefix(t, "Text("):
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(t, "Text("), ")"))
		if _, ok := v.(string); !ok {
			return str(v), ""
		}
		if n > 0 && len([]rune(v.(string))) > n {
			return nil, fmt.Sprintf("%s: The value of the %s field is longer than %d characters.", op, field, n)
		}
		return v, ""
	case t == "Int":
		n, err := strconv.Atoi(str(v))
		if err != nil {
			if f, err := strconv.ParseFloat(str(v), 64); err == nil && f == float64(int(f)) {
				return int(f), ""
			}
			return nil, bad
		}
		return n, ""
	case t == "Float":
		// A decimal number field (assumed: the reference confirms Int, not its decimal twin).
		f, err := strconv.ParseFloat(str(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, bad
		}
		return f, ""
	case t == "Email":
		e := str(v)
		if at := strings.Index(e, "@"); at < 1 || !strings.Contains(e[at:], ".") || strings.ContainsAny(e, " ,;") {
			return nil, bad
		}
		return e, ""
	case t == "DateTime":
		// Hungarian wall time, "2006-01-02 15:04:05" or a day; stored (and answered) in the
		// first form, as a DATETIME column holds it (an assumption). RFC 3339 is refused.
		at, ok := parseSince(str(v))
		if !ok {
			return nil, bad
		}
		return at.Format(TimeLayout), ""
	case t == "Date":
		d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(str(v)), Budapest)
		if err != nil {
			return nil, bad
		}
		return d.Format("2006-01-02"), ""
	case t == "Boolean":
		switch strings.ToLower(str(v)) {
		case "1", "true":
			return 1, ""
		case "0", "false":
			return 0, ""
		}
		return nil, bad
	}
	return str(v), ""
}

// fileValue reads a File field's value (see the package comment): an object {"Url","Name"},
// its JSON text, or a URL; null or "" clears it.
func fileValue(v any, bad string) (any, string) {
	if s, ok := v.(string); ok {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, ""
		}
		var m map[string]any
		if strings.HasPrefix(s, "{") {
			if json.Unmarshal([]byte(s), &m) != nil {
				return nil, bad
			}
			v = m
		} else {
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, bad
			}
			return map[string]any{"Url": s, "Name": path.Base(u.Path)}, ""
		}
	}
	switch m := v.(type) {
	case nil:
		return nil, ""
	case map[string]any:
		u, name := str(m["Url"]), str(m["Name"])
		if u == "" {
			return nil, bad
		}
		return map[string]any{"Url": u, "Name": name}, ""
	}
	return nil, bad
}

// ---- Project --------------------------------------------------------------------------------

func (s *Server) projectSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, since, ok := searchParams(w, q, "Project")
	if !ok {
		return
	}
	deleted := "0"
	if q.Get("Deleted") == "1" {
		deleted = "1"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int
	for _, id := range sortedIDs(s.projects) {
		m := s.projects[id]
		c := s.cat(m["CategoryId"].(int))
		match := str(m["Deleted"]) == deleted && (since.IsZero() || !m["UpdatedAt"].(time.Time).Before(since))
		for k, vs := range q {
			if !match {
				break
			}
			v := vs[0]
			switch k {
			case "Page", "Deleted", "UpdatedSince":
			case "CategoryId", "ContactId", "BusinessId":
				match = str(m[k]) == v
			case "ReferenceId", "Name":
				match = strings.EqualFold(str(m[k]), v)
			case "MainContactId":
				match = str(m["ContactId"]) == v
			case "UpdatedAt":
				t, ok := parseSince(v)
				match = ok && t.Equal(m["UpdatedAt"].(time.Time))
			case "StatusId":
				match = str(m[k]) == v || strings.EqualFold(s.statusName(c, m[k]), v)
			case "UserId":
				match = str(m[k]) == v || strings.EqualFold(s.userName(m[k]), v)
			case "Query":
				match = strings.Contains(strings.ToLower(str(m["Name"])), strings.ToLower(v))
			default:
				t, known := c.Fields[k]
				if !known {
					match = false
					break
				}
				if opts, ok := t.(map[string]string); ok {
					match = str(m[k]) == v || strings.EqualFold(opts[str(m[k])], v)
				} else {
					match = strings.EqualFold(str(m[k]), v)
				}
			}
		}
		if match {
			ids = append(ids, id)
		}
	}
	results(w, ids, page, func(id int) map[string]any {
		m := s.projects[id]
		return map[string]any{"Id": id, "Name": m["Name"], "Url": fmt.Sprintf("https://r3.minicrm.hu/Api/R3/Project/%d", id),
			"CategoryId": m["CategoryId"], "ContactId": m["ContactId"], "BusinessId": m["BusinessId"],
			"StatusId": m["StatusId"], "UserId": m["UserId"], "Deleted": m["Deleted"], "UpdatedAt": fmtTime(m["UpdatedAt"])}
	})
}

func (s *Server) statusName(c *Category, v any) string {
	for _, st := range c.Statuses {
		if str(v) == strconv.Itoa(st.ID) {
			return st.Name
		}
	}
	return ""
}

// owners are the users who may own cards of c: those with access to it.
func (s *Server) owners(c *Category) []User {
	if c.Users == nil {
		return s.users
	}
	var out []User
	for _, u := range s.users {
		if slices.Contains(c.Users, u.ID) {
			out = append(out, u)
		}
	}
	return out
}

func (s *Server) userName(v any) string {
	for _, u := range s.users {
		if str(v) == strconv.Itoa(u.ID) {
			return u.Name
		}
	}
	return ""
}

func (s *Server) projectGet(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.projects[id]
	if !ok {
		plain(w, http.StatusNotFound, fmt.Sprintf("Project: no card with id '%s'.", r.PathValue("id")))
		return
	}
	c := s.cat(m["CategoryId"].(int))
	out := map[string]any{"Url": fmt.Sprintf("https://r3.minicrm.hu/Api/R3/Project/%d", id)}
	for k, v := range m {
		out[k] = fmtTime(v)
		if opts, ok := c.Fields[k].(map[string]string); ok && v != nil {
			out[k] = opts[str(v)]
		}
	}
	out["StatusId"] = s.statusName(c, m["StatusId"]) // documented: returned as names
	out["UserId"] = s.userName(m["UserId"])
	simkit.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) projectPut(w http.ResponseWriter, r *http.Request) {
	const op = "Project (PUT)"
	body, err := decodeBody(r)
	if err != nil {
		plain(w, http.StatusBadRequest, op+": The request body is not valid JSON.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var rec map[string]any
	id := 0
	if r.PathValue("id") != "" {
		id, _ = pathID(r)
		if rec = s.projects[id]; rec == nil {
			plain(w, http.StatusNotFound, fmt.Sprintf("%s: no card with id '%s'.", op, r.PathValue("id")))
			return
		}
	}
	var c *Category
	if rec != nil {
		c = s.cat(rec["CategoryId"].(int))
		if v, ok := body["CategoryId"]; ok && str(v) != strconv.Itoa(c.ID) {
			plain(w, http.StatusBadRequest, fmt.Sprintf("%s: Invalid value '%s' for the CategoryId field.", op, str(v)))
			return
		}
	} else {
		n, _ := strconv.Atoi(str(body["CategoryId"]))
		if c = s.cat(n); c == nil {
			plain(w, http.StatusBadRequest, fmt.Sprintf("%s: Invalid value '%s' for the CategoryId field.", op, str(body["CategoryId"])))
			return
		}
	}
	sc := s.projectSchema(c)
	upd := map[string]any{}
	for k, v := range body {
		switch k {
		case "Id", "CategoryId":
			continue
		case "Deleted":
			upd[k] = map[bool]int{true: 1, false: 0}[str(v) == "1" || str(v) == "true"]
			continue
		case "ReferenceId":
			upd[k] = str(v)
			continue
		case "UserId":
			val, msg := s.convert(op, k, sc[k], v)
			if msg != "" || val == nil {
				// MiniCRM quirk: an unknown owner, or a user without access to the module, is
				// accepted and a random user who has access is assigned.
				owners := s.owners(c)
				val = owners[s.rng.IntN(len(owners))].ID
			}
			upd[k] = val
			continue
		case "ContactId", "BusinessId":
			n, err := strconv.Atoi(str(v))
			want := map[string]string{"ContactId": "", "BusinessId": "Business"}[k]
			ct := s.contacts[n]
			if str(v) == "" {
				upd[k] = nil
				continue
			}
			if err != nil || ct == nil || (want != "" && ct["Type"] != want) {
				plain(w, http.StatusBadRequest, fmt.Sprintf("%s: Invalid value '%s' for the %s field.", op, str(v), k))
				return
			}
			upd[k] = n
			continue
		}
		t, known := sc[k]
		if !known {
			plain(w, http.StatusBadRequest, fmt.Sprintf("%s: Unknown field '%s'.", op, k))
			return
		}
		val, msg := s.convert(op, k, t, v)
		if msg != "" {
			plain(w, http.StatusBadRequest, msg)
			return
		}
		upd[k] = val
	}
	now := s.now()
	if rec == nil {
		if str(upd["Name"]) == "" {
			plain(w, http.StatusBadRequest, op+": The Name field is required.")
			return
		}
		id = s.newID()
		rec = map[string]any{"Id": id, "CategoryId": c.ID, "StatusId": c.Statuses[0].ID, "UserId": nil,
			"ContactId": nil, "BusinessId": nil, "Deleted": 0, "IsPrivate": 0, "CreatedAt": now, "CreatedBy": "API",
			"StatusUpdatedAt": now}
		if _, ok := upd["UserId"]; !ok {
			rec["UserId"] = s.users[0].ID
		}
		for k, t := range c.Fields {
			rec[k] = emptyValue(t)
		}
		s.projects[id] = rec
	}
	if v, ok := upd["StatusId"]; ok && v != nil && str(v) != str(rec["StatusId"]) {
		rec["StatusUpdatedAt"] = now
	}
	for k, v := range upd {
		if k == "StatusId" && v == nil {
			continue
		}
		rec[k] = v
	}
	rec["UpdatedAt"], rec["UpdatedBy"] = now, "API"
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"Id": id})
}
