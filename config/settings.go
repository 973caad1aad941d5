package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/crmsync/crmsync/connectors/weavy"
)

// setting describes one key of a side's settings: what its value must be. The connectors
// read these keys (connectors/registry's Open, actions/sellsy's OpenClient, activities' start
// date, the status command); checking them here lets `crmsync validate` refuse offline what
// a connector would refuse only when it opens, and name a misspelt key.
type setting struct {
	kind     settingKind
	required string   // when set, the key is required and this says what it holds
	oneOf    []string // allowed values
	// check, when set, says what is wrong with a value given (trimmed, "" included) by the
	// reading of the connector that owns its meaning, so that the two cannot drift apart.
	check func(v string) string
}

type settingKind int

const (
	settingText    settingKind = iota
	settingURL                 // an absolute http(s) URL
	settingRate                // a number of requests a second, 0 or more
	settingCount               // a whole number, 0 or more
	settingZone                // an IANA time zone
	settingProject             // weavy's project code: no /, ? or #
	settingList                // comma-separated text, given as such or as a YAML list (checked by check)
)

// rate is requests_per_second, which every connector reads (MiniCRM's is multiplied into a
// minute's, UNAS's hourly budgets govern instead).
var rate = setting{kind: settingRate}

// knownSettings lists, per system, every settings key a connector reads.
var knownSettings = map[string]map[string]setting{
	"sellsy": {
		"api_url": {kind: settingURL}, "token_url": {kind: settingURL}, "v1_url": {kind: settingURL},
		"company_type":        {oneOf: []string{"prospect", "client", "supplier"}},
		"requests_per_second": rate,
	},
	"mautic": {
		"base_url":            {kind: settingURL, required: "the Automation instance's root, e.g. https://example.automation.webmecanik.com"},
		"requests_per_second": rate,
	},
	"weavy": {
		"base_url":            {kind: settingURL, required: "the weavy server's root, e.g. https://api.weavy.divalto.com"},
		"project":             {kind: settingProject, required: "the weavy project code"},
		"time_zone":           {kind: settingZone},
		"requests_per_second": rate,
		// The weavy tables of the contact object (the Divalto plugin's "Sélection des objets
		// synchronisés"), read as the connector reads it.
		"contact_tables": {kind: settingList, check: contactTablesProblem},
	},
	"altior": {
		"base_url":             {kind: settingURL, required: "the Altior environment's root, e.g. https://altior.example.com"},
		"reference_user_email": {}, "establishment": {},
		"requests_per_second": rate,
	},
	"unas": {
		"base_url":             {kind: settingURL},
		"order_lists_per_hour": {kind: settingCount},
		"time_zone":            {kind: settingZone},
		"requests_per_second":  rate,
	},
	"minicrm": {
		"base_url":            {kind: settingURL, required: "the MiniCRM system's root, e.g. https://r3.minicrm.hu"},
		"owner":               {},
		"requests_per_second": rate,
	},
}

// optionalCredentials lists, per system, the credentials a connection may name besides the
// ones its connector needs (knownSystems): webhook secrets and tokens, Sellsy's API V1 tokens.
var optionalCredentials = map[string][]string{
	"sellsy": {"webhook_token", "v1_consumer_token", "v1_consumer_secret", "v1_user_token", "v1_user_secret"},
	"mautic": {"webhook_secret", "push_token"},
	"unas":   {"webhook_secret"},
}

// credentialSets lists, per system, optional credentials that only work together, and why:
// Sellsy's API V1 signs each call with its four OAuth 1.0a tokens (a part of them signs with
// empty secrets, and without the consumer token the others are ignored for the V2 token).
var credentialSets = map[string]struct {
	keys []string
	why  string
}{
	"sellsy": {keys: []string{"v1_consumer_token", "v1_consumer_secret", "v1_user_token", "v1_user_secret"},
		why: "API V1 calls are signed with the four v1_* tokens together (%s), and only %s of them named: name the variable that holds it, or leave every v1_* credential out (V1 calls then send the V2 access token)"},
}

// settingsProblems checks a side's settings against its system's keys: every key known, every
// required one given, every value of its kind. Each problem comes with the key it is about.
func settingsProblems(s System) (problems []keyProblem) {
	known, ok := knownSettings[s.System]
	if !ok {
		return nil // the system itself is reported
	}
	names := sortedKeys(known)
	for _, key := range sortedKeys(s.Settings) {
		spec, ok := known[key]
		if !ok {
			problems = append(problems, keyProblem{key, fmt.Sprintf("not a setting of %s%s; its settings: %s", s.System, DidYouMean(key, names), strings.Join(names, ", "))})
			continue
		}
		if msg := spec.problem(strings.TrimSpace(s.Settings[key])); msg != "" {
			problems = append(problems, keyProblem{key, msg})
		}
	}
	for _, key := range names {
		if spec := known[key]; spec.required != "" && strings.TrimSpace(s.Settings[key]) == "" {
			problems = append(problems, keyProblem{key, fmt.Sprintf("missing: %s needs %s", s.System, spec.required)})
		}
	}
	slices.SortStableFunc(problems, func(x, y keyProblem) int { return strings.Compare(x.key, y.key) })
	return problems
}

type keyProblem struct{ key, reason string }

// problem says what is wrong with a setting's value v (trimmed), or "". An empty value is the
// default (a required one is reported as missing), unless check says otherwise.
func (s setting) problem(v string) string {
	if s.check != nil {
		return s.check(v)
	}
	if v == "" {
		return ""
	}
	switch s.kind {
	case settingURL:
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Sprintf("%q is not an http(s) URL like https://example.com", v)
		}
	case settingRate:
		if f, err := strconv.ParseFloat(v, 64); err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Sprintf("%q is not a number of requests a second, such as \"5\" or \"0.5\" (leave it out for the default)", v)
		}
	case settingCount:
		if n, err := strconv.Atoi(v); err != nil || n < 0 {
			return fmt.Sprintf("%q is not a whole number of 0 or more", v)
		}
	case settingZone:
		if _, err := time.LoadLocation(v); err != nil || v == "Local" {
			return fmt.Sprintf("%q is not an IANA time zone such as Europe/Paris", v)
		}
	case settingProject:
		if strings.ContainsAny(v, "/?#") {
			return fmt.Sprintf("%q is not a project code (no /, ? or #)", v)
		}
	}
	if len(s.oneOf) > 0 && !slices.Contains(s.oneOf, v) {
		return fmt.Sprintf("%q is not one of %s%s", v, strings.Join(s.oneOf, ", "), DidYouMean(v, s.oneOf))
	}
	return ""
}

// credentialProblems checks a side's credentials: each names an environment variable (never
// a value: the message does not repeat it), and each is one the system uses.
func credentialProblems(s System) (problems []keyProblem) {
	need, ok := knownSystems[s.System]
	if !ok {
		return nil
	}
	allowed := append(slices.Clone(need), optionalCredentials[s.System]...)
	slices.Sort(allowed)
	for _, key := range sortedKeys(s.Credentials) {
		if !slices.Contains(allowed, key) {
			problems = append(problems, keyProblem{key, fmt.Sprintf("not a credential of %s%s; its credentials: %s", s.System, DidYouMean(key, allowed), strings.Join(allowed, ", "))})
			continue
		}
		switch name := s.Credentials[key]; {
		case strings.TrimSpace(name) == "":
			// Nothing there to hide: not a credential given as a value.
			reason := fmt.Sprintf("missing: name the environment variable that holds it (such as %s)", strings.ToUpper(s.System+"_"+key))
			if !slices.Contains(need, key) {
				reason += ", or leave the key out"
			}
			problems = append(problems, keyProblem{key, reason})
		case !envVarPattern.MatchString(name):
			problems = append(problems, keyProblem{key, "must be the NAME of an environment variable (like SELLSY_CLIENT_SECRET) that holds the credential, not the credential itself (not shown here)"})
		case strings.HasSuffix(name, fileSuffix):
			// NAME_FILE is read by itself when NAME is empty: named here, the path it holds
			// would be sent as the credential.
			problems = append(problems, keyProblem{key, fileVariable(name)})
		}
	}
	for _, key := range need {
		if _, ok := s.Credentials[key]; !ok {
			problems = append(problems, keyProblem{key, "missing: name the environment variable that holds it"})
		}
	}
	if set, ok := credentialSets[s.System]; ok {
		var named, missing []string
		for _, key := range set.keys {
			if _, ok := s.Credentials[key]; ok {
				named = append(named, key)
			} else {
				missing = append(missing, key)
			}
		}
		if len(named) > 0 {
			slices.Sort(named)
			for _, key := range missing {
				problems = append(problems, keyProblem{key, "missing: " + fmt.Sprintf(set.why, strings.Join(set.keys, ", "), strings.Join(named, ", "))})
			}
		}
	}
	slices.SortStableFunc(problems, func(x, y keyProblem) int { return strings.Compare(x.key, y.key) })
	return problems
}

// fileSuffix ends the name of the variable that names a file holding a credential: the value
// of NAME_FILE is read when NAME is empty (System.Secret).
const fileSuffix = "_FILE"

// fileVariable says why a credential may not name a variable ending in _FILE, and which to
// name instead.
func fileVariable(name string) string {
	base := strings.TrimSuffix(name, fileSuffix)
	if base == "" || !envVarPattern.MatchString(base) {
		return fmt.Sprintf("%s ends in %s, which names a variable holding the path of a file, not the credential: name the variable that holds the credential; crmsync reads <NAME>%s by itself when <NAME> is empty", name, fileSuffix, fileSuffix)
	}
	return fmt.Sprintf("%s ends in %s: name %s instead; crmsync reads %s, the path of a file holding the credential, by itself when %s is empty or unset (named here, the path would be sent as the credential)", name, fileSuffix, base, name, base)
}

// contactTablesProblem checks weavy's contact_tables with the connector's own reading
// (weavy.ParseContactTables), so that validate accepts exactly the values the connector opens
// with, and says why in the connector's words. Given, the setting names something: left out
// is the default (both tables), but given empty it is no choice, which the connector, handed
// "" for a setting left out, cannot tell.
func contactTablesProblem(v string) string {
	var err error = &weavy.ContactTablesError{} // given empty: no table named
	if v != "" {
		_, err = weavy.ParseContactTables(v)
	}
	var refused *weavy.ContactTablesError
	switch {
	case err == nil:
		return ""
	case !errors.As(err, &refused):
		return err.Error()
	case refused.Name == "":
		return err.Error() + "; left out, both are synced"
	}
	return err.Error() + DidYouMean(refused.Name, weavy.ContactTableNames())
}

// NotCreated says why the connector of side ("a" or "b") creates no record of the object o,
// by that side's settings — "" when it may. weavy creates a contact as an entrant: with
// contact_tables leaving entrants out, a record of the other side that no weavy contact
// matches is created nowhere (the sync leaves it out, counted as filtered).
func (c *Connection) NotCreated(o *Object, side string) string {
	s, object := c.Side(side), o.AObject
	if side == "b" {
		object = o.BObject
	}
	if s.System != "weavy" || object != "contact" {
		return ""
	}
	tables, ok := s.Settings["contact_tables"]
	if t, err := weavy.ParseContactTables(tables); !ok || err != nil || t.Entrants {
		return "" // left out, both; refused, validate says why
	}
	return fmt.Sprintf("weavy creates a contact as an entrant, and %s.settings.contact_tables (%s) leaves entrants out", side, tables)
}

// foldListSettings turns the YAML list given for a list setting (contact_tables: [contacts,
// entrants]) into the comma-separated text it stands for, since settings are texts; a list of
// anything but texts is left as it is, for the shape check to report. A side is read as the
// decoder reads it, through aliases and merge keys: a list missed there reached the decoder
// and was refused as "a list where a text is expected".
func foldListSettings(root *yaml.Node) {
	for _, side := range []string{"a", "b"} {
		sys := mappingValue(root, side)
		system, settings := mappingValue(sys, "system"), mappingValue(sys, "settings")
		if system == nil || settings == nil || settings.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(settings.Content); i += 2 {
			key, val := settings.Content[i], settings.Content[i+1]
			if knownSettings[system.Value][key.Value].kind != settingList || val.Kind != yaml.SequenceNode {
				continue
			}
			values := make([]string, 0, len(val.Content))
			for _, item := range val.Content {
				if item.Kind != yaml.ScalarNode {
					values = nil
					break
				}
				values = append(values, item.Value)
			}
			if values != nil {
				settings.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.Join(values, ", "), Line: val.Line, Column: val.Column}
			}
		}
	}
}

// mappingValue returns the value of key in the mapping n as the decoder reads it (lookup:
// aliases followed, merged mappings included), nil when there is none.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	n, depth := unalias(n, 0)
	if n == nil {
		return nil
	}
	v, ok := lookup(n, key, depth)
	if !ok {
		return nil
	}
	v, _ = unalias(v, depth+1)
	return v
}
