package config

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// setting describes one key of a side's settings: what its value must be. The connectors
// read these keys (connectors/registry's Open, actions/sellsy's OpenClient, activities' start
// date, the status command); checking them here lets `crmsync validate` refuse offline what
// a connector would refuse only when it opens, and name a misspelt key.
type setting struct {
	kind     settingKind
	required string   // when set, the key is required and this says what it holds
	oneOf    []string // allowed values (kind text)
}

type settingKind int

const (
	settingText    settingKind = iota
	settingURL                 // an absolute http(s) URL
	settingRate                // a number of requests a second, 0 or more
	settingCount               // a whole number, 0 or more
	settingZone                // an IANA time zone
	settingProject             // weavy's project code: no /, ? or #
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
// default (a required one is reported as missing).
func (s setting) problem(v string) string {
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
