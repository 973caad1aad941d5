package mautic

import (
	"encoding/json"
	"html"
	"strings"

	"github.com/crmsync/crmsync/connectors/mautic/internal/phptext"
)

// Mautic cleans the text it is given with InputHelper::clean, PHP's filter_var(v,
// FILTER_SANITIZE_SPECIAL_CHARS): ' " < > & and the characters below 32 are stored
// HTML-encoded, as numeric entities (&#39; &#34; &#60; &#62; &#38; &#10; …), and read back
// so (mautic/mautic#4234, #13092, #10738). Fields that hold HTML — type html, or a textarea
// with properties.allowHtml (Mautic 3 and 4) — get the 'html' mask instead and keep their
// markup. "O'Brien" written comes back "O&#39;Brien": taken as is, the sync would see an edit
// made in Automation and copy it over the other side. So the text of every field that does
// not hold HTML is decoded as it is read (records, the answers of writes, lookups), and a
// lookup on a text asks for both its forms, as sent and as stored.

// keptAsSent reports whether Mautic stores a text of a field of this type and these
// properties as sent rather than cleaned: an html field, or a textarea with allowHtml, keeps
// its markup (the 'html' mask); a select or multiselect value is one of its options (the
// 'raw' mask); an e-mail goes through the 'email' mask, which encodes nothing. Decoding those
// would change a value that holds an entity on purpose ("A &amp; B" as an option).
func keptAsSent(typ string, props json.RawMessage) bool {
	switch typ {
	case "html", "select", "multiselect", "email":
		return true
	}
	var p struct {
		AllowHTML any `json:"allowHtml"`
	}
	if json.Unmarshal(props, &p) != nil {
		return false
	}
	switch x := p.AllowHTML.(type) {
	case bool:
		return x
	case float64:
		return x != 0
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "1", "true", "yes", "on":
			return true
		}
	}
	return false
}

// decoded returns v with its HTML entities decoded when it is the text of a field that does
// not hold HTML (markup: the aliases of those that do).
func decoded(markup map[string]bool, alias string, v any) any {
	if s, ok := v.(string); ok && !markup[alias] {
		return html.UnescapeString(s)
	}
	return v
}

// bothForms returns values with, after each, its stored form where that differs (see
// phptext.SpecialChars), for a lookup that must find a value whether Automation stored it
// cleaned or as sent.
func bothForms(values []string) []string {
	out := make([]string, 0, len(values))
	for _, v := range values {
		out = append(out, v)
		if enc := phptext.SpecialChars(v); enc != v {
			out = append(out, enc)
		}
	}
	return out
}
