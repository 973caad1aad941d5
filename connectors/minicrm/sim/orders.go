package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// Order statuses (the Order API's StatusGroup values).
const (
	OrderDraft      = "Draft"
	OrderInProgress = "InProgress"
	OrderCompleted  = "Completed"
	OrderSuccessful = "Successful"
	OrderFailed     = "Failed"
)

// orderMoves maps an action to the statuses it may start from and the status it ends in.
var orderMoves = map[string]struct {
	from []string
	to   string
}{
	"Finalize": {[]string{OrderDraft}, OrderInProgress},
	"Complete": {[]string{OrderInProgress}, OrderCompleted},
	"Paid":     {[]string{OrderInProgress, OrderCompleted}, OrderSuccessful},
	"Storno":   {[]string{OrderDraft, OrderInProgress, OrderCompleted}, OrderFailed},
}

func (s *Server) orderList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, since, ok := searchParams(w, q, "Order")
	if !ok {
		return
	}
	group := q.Get("StatusGroup")
	if group != "" && group != OrderDraft && group != OrderInProgress && group != OrderCompleted && group != OrderSuccessful && group != OrderFailed {
		plain(w, http.StatusBadRequest, fmt.Sprintf("Order: Invalid value '%s' for the StatusGroup parameter.", group))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int
	for _, id := range sortedIDs(s.orders) {
		m := s.orders[id]
		if (group == "" || m["Status"] == group) && (since.IsZero() || !m["UpdatedAt"].(time.Time).Before(since)) {
			ids = append(ids, id)
		}
	}
	results(w, ids, page, func(id int) map[string]any { return shape(s.orders[id]) })
}

func (s *Server) orderGet(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.orders[id]
	if !ok {
		plain(w, http.StatusNotFound, fmt.Sprintf("Order: no order with id '%s'.", r.PathValue("id")))
		return
	}
	simkit.WriteJSON(w, http.StatusOK, shape(m))
}

// orderPost creates (POST /Api/Order) or updates (POST /Api/Order/{id}, Draft only) an order.
func (s *Server) orderPost(w http.ResponseWriter, r *http.Request) {
	const op = "Order (POST)"
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
		if rec = s.orders[id]; rec == nil {
			plain(w, http.StatusNotFound, fmt.Sprintf("%s: no order with id '%s'.", op, r.PathValue("id")))
			return
		}
		if rec["Status"] != OrderDraft {
			plain(w, http.StatusBadRequest, fmt.Sprintf("%s: Only a Draft order can be changed; this one is %s.", op, rec["Status"]))
			return
		}
	}
	upd := map[string]any{}
	for k, v := range body {
		switch k {
		case "CustomerId", "ProjectId":
			n, err := strconv.Atoi(str(v))
			if err != nil || (k == "CustomerId" && s.contacts[n] == nil) || (k == "ProjectId" && s.projects[n] == nil) {
				plain(w, http.StatusBadRequest, fmt.Sprintf("%s: Invalid value '%s' for the %s field.", op, str(v), k))
				return
			}
			upd[k] = n
		case "ReferenceId", "Number", "CurrencyCode", "Performance", "PaymentMethod", "Comment":
			upd[k] = str(v)
		case "Items":
			items, msg := checkItems(op, v)
			if msg != "" {
				plain(w, http.StatusBadRequest, msg)
				return
			}
			upd[k] = items
		case "Id", "Status":
		default:
			plain(w, http.StatusBadRequest, fmt.Sprintf("%s: Unknown field '%s'.", op, k))
			return
		}
	}
	now := s.now()
	if rec == nil {
		if upd["CustomerId"] == nil && str(upd["ReferenceId"]) == "" {
			plain(w, http.StatusBadRequest, op+": CustomerId or ReferenceId is required.")
			return
		}
		if str(upd["CurrencyCode"]) == "" {
			upd["CurrencyCode"] = "HUF"
		}
		id = s.newID()
		rec = map[string]any{"Id": id, "Status": OrderDraft, "Items": []any{}, "CreatedAt": now}
		s.orders[id] = rec
	}
	for k, v := range upd {
		rec[k] = v
	}
	rec["UpdatedAt"] = now
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"Id": id})
}

func checkItems(op string, v any) ([]any, string) {
	list, ok := v.([]any)
	if !ok {
		return nil, op + ": Items must be a list."
	}
	out := make([]any, 0, len(list))
	for i, it := range list {
		m, ok := it.(map[string]any)
		if !ok || str(m["Name"]) == "" {
			return nil, fmt.Sprintf("%s: Item %d: The Name field is required.", op, i+1)
		}
		for _, k := range []string{"PriceNet", "Quantity"} {
			if _, err := strconv.ParseFloat(str(m[k]), 64); err != nil {
				return nil, fmt.Sprintf("%s: Item %d: Invalid value '%s' for the %s field.", op, i+1, str(m[k]), k)
			}
		}
		if vat := str(m["VAT"]); vat != "" && !strings.HasSuffix(vat, "%") {
			return nil, fmt.Sprintf("%s: Item %d: Invalid value '%s' for the VAT field.", op, i+1, vat)
		}
		item := map[string]any{}
		for k, x := range m {
			item[k] = str(x)
		}
		out = append(out, item)
	}
	return out, ""
}

func (s *Server) orderAction(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r)
	action := r.PathValue("action")
	mv, ok := orderMoves[action]
	if !ok {
		plain(w, http.StatusNotFound, fmt.Sprintf("Order: unknown action '%s'.", action))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.orders[id]
	if rec == nil {
		plain(w, http.StatusNotFound, fmt.Sprintf("Order: no order with id '%s'.", r.PathValue("id")))
		return
	}
	allowed := false
	for _, f := range mv.from {
		allowed = allowed || rec["Status"] == f
	}
	if !allowed {
		plain(w, http.StatusBadRequest, fmt.Sprintf("Order (%s): An order in status %s cannot be moved to %s.", action, rec["Status"], mv.to))
		return
	}
	rec["Status"], rec["UpdatedAt"] = mv.to, s.now()
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"Id": id, "Status": mv.to})
}
