package mautic

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

// Mautic's API drops some values on create and edit without a word: POST and PATCH go through
// CustomFieldsApiControllerTrait::setCustomFieldValues, which filters out every value that is
// numeric and whose (int) is 0 ("assume 0 was not meant to overwrite"): 0, "0", 0.5, "-0.3", of
// number and text fields alike (mautic/mautic#15030, #16590). PUT keeps them, but clears
// every field it is not sent, so it is not used. Such a value is compared with the record the
// write answers with; one that did not stick fails the record's Result, naming the field,
// rather than leave the sync to believe it written and copy Automation's old value back over
// the other side on the next pass. Booleans are set past that filter (RequestTrait sets them
// through the entity) and sent as JSON true and false (writeBody); a false is checked all the
// same, as a No that did not stick (a Mautic that dropped it) would do the same harm.

// phpNumeric matches the strings PHP 8's is_numeric accepts (whitespace around, a sign,
// decimals, an exponent; no hex).
var phpNumeric = regexp.MustCompile(`^[ \t\n\r\v\f]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t\n\r\v\f]*$`)

// zeroValue returns v as a number when Mautic's filter drops it: a number or a numeric text
// strictly between -1 and 1. A boolean is not a number (see zeroValues for false).
func zeroValue(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case string:
		if !phpNumeric.MatchString(x) {
			return 0, false
		}
		n, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, false
		}
		f = n
	default:
		return 0, false
	}
	return f, math.Abs(f) < 1
}

// zeroValues returns the values of r that Mautic's filter may drop, by field, and its
// booleans' false: the values whose write is checked against the answer.
func zeroValues(r connectors.Record) map[string]any {
	var out map[string]any
	for k, v := range r.Fields {
		if k == "id" || k == FieldBounced || strings.HasPrefix(k, DNCPrefix) {
			continue // not written as fields (see writeBody)
		}
		_, zero := zeroValue(v)
		if b, ok := v.(bool); zero || (ok && !b) {
			if out == nil {
				out = map[string]any{}
			}
			out[k] = v
		}
	}
	return out
}

// echoedValues reads the field values of the records a write answers with, under key: one
// record (single, a /new or /edit route) or a collection aligned with the request (a batch
// route: an array, or an object keyed by index). The values are fields.all's, or, where the
// answer has no "all", the groups' (fields.core.email.value…). A record the answer does not
// show, or not in a shape that can be read, is nil.
func echoedValues(raw []byte, key string, single bool, n int) []map[string]any {
	out := make([]map[string]any, n)
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil {
		return out
	}
	var items []json.RawMessage
	if single {
		items = []json.RawMessage{top[key]}
	} else if l, err := aligned[json.RawMessage](top[key], n); err == nil {
		items = l
	}
	for i, e := range items {
		if len(e) > 0 {
			out[i] = entityValues(e)
		}
	}
	return out
}

// entityValues reads the field values of one record of a write answer (see echoedValues).
func entityValues(raw json.RawMessage) map[string]any {
	var ent struct {
		Fields json.RawMessage `json:"fields"`
	}
	var groups map[string]json.RawMessage
	if json.Unmarshal(raw, &ent) != nil || len(ent.Fields) == 0 || phpDecode(ent.Fields, &groups) != nil {
		return nil
	}
	values := map[string]any{}
	if all, ok := groups["all"]; ok {
		if phpDecode(all, &values) != nil {
			return nil
		}
		return values
	}
	for _, g := range groups {
		var fields map[string]struct {
			Value any `json:"value"`
		}
		if phpDecode(g, &fields) != nil {
			return nil
		}
		for alias, f := range fields {
			values[alias] = f.Value
		}
	}
	return values
}

// zeroDropped compares the values of sent Mautic may drop with the record echoed after the
// write, and returns an invalid-record error naming each field whose value did not stick (nil
// when all did, or when the answer does not show the record).
func (c *Client) zeroDropped(ctx context.Context, op, object string, sent, echoed map[string]any) error {
	if echoed == nil {
		return nil
	}
	scales, _ := c.fieldScales(ctx, object) // unknown scales: compared exactly
	markup, _ := c.fieldMarkup(ctx, object)
	fields := map[string]string{}
	var msgs []string
	for _, alias := range sortedKeys(sent) {
		got, shown := echoed[alias]
		if !shown {
			continue
		}
		got = decoded(markup, alias, got) // a text is read back cleaned (see keptAsSent)
		scale, isNumber := scales[alias]
		if stuck(sent[alias], got, isNumber && scale == 0) {
			continue
		}
		reason := fmt.Sprintf("Automation ignores %s on create and edit through its API (Mautic drops any value that reads as a number between -1 and 1, 0 included)", showValue(sent[alias]))
		if _, isBool := sent[alias].(bool); isBool {
			reason = "Automation did not keep No (false) on create or edit through its API"
		}
		fields[alias] = reason
		msgs = append(msgs, fmt.Sprintf("field %q: %s; %s", alias, reason, stays(sent[alias], got)))
	}
	if len(msgs) == 0 {
		return nil
	}
	return &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: op, Message: strings.Join(msgs, "; "), Fields: fields}
}

// stuck reports whether the record holds the value sent: the same text, or the same number
// (a field of whole numbers reads 0.4 as 0).
func stuck(sent, got any, whole bool) bool {
	if got == nil {
		return false
	}
	if b, ok := sent.(bool); ok {
		have, known := boolOf(got)
		return known && have == b
	}
	if s, ok := sent.(string); ok && strings.TrimSpace(s) == strings.TrimSpace(connectors.Text(got)) {
		return true
	}
	want, _ := zeroValue(sent)
	var have float64
	switch x := got.(type) {
	case float64:
		have = x
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return false
		}
		have = f
	default:
		return false
	}
	return have == want || (whole && have == math.Trunc(want))
}

func showValue(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	f, _ := zeroValue(v)
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// boolOf reads a yes/no value, a boolean field's as an answer gives it or a dnc.* value of a
// record: true or false, 1 or 0, as a number or a text. known is false for a value that says
// neither (nil, "", a text that is not a yes/no); a dnc.* value so leaves its channel as it
// is: an unknown consent is not a re-subscription.
func boolOf(v any) (b, known bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case float64:
		return x != 0, true
	case int:
		return x != 0, true
	case string:
		if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
			return b, true
		}
	}
	return false, false
}

// stays says what the field holds instead of sent: a number or a yes/no is shown, a text is
// not (it may be personal).
func stays(sent, got any) string {
	if _, isBool := sent.(bool); isBool {
		switch b, known := boolOf(got); {
		case !known:
			return "the field stays empty"
		case b:
			return "the field stays Yes"
		default:
			return "the field stays No"
		}
	}
	switch x := got.(type) {
	case nil:
		return "the field stays empty"
	case float64:
		return "the value stays " + strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		if strings.TrimSpace(x) == "" {
			return "the field stays empty"
		}
	}
	return "the field keeps its value"
}
