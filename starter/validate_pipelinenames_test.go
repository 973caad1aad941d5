package main

import (
	"testing"
)

// validate --live resolves the pipelines and steps a file names by name, as the guide has
// users write them, against Sellsy: a name Sellsy does not have is reported at its field with
// what Sellsy has, and the checks of the bindings name the steps as written.
func TestValidateLivePipelineNames(t *testing.T) {
	sb := sellsyAltiorSandbox(t, nil)
	file := func(pipeline, events string) string {
		return `name: pl
a:
  system: sellsy
  settings: {api_url: ` + sb.SellsyURL + `/v2, token_url: ` + sb.SellsyURL + `/oauth2/access-tokens}
  credentials: {client_id: SELLSY_CLIENT_ID, client_secret: SELLSY_CLIENT_SECRET}
b:
  system: altior
  settings: {base_url: ` + sb.AltiorURL + `, reference_user_email: ref@example.com, establishment: E1}
  credentials: {api_key: ALTIOR_API_KEY}
direction: a_to_b
objects:
  - name: company
    match: {a: siret, b: siret}
    filter: {b: {kind: moral}}
    fields: [{a: name, b: name}, {a: siret, b: siret}, {a: type, b: relation}]
  - name: opportunity
    b_object: affaire
    match: {a: name, b: title}
    links: [company]
    fields: [{a: name, b: title}]
pipelines:
  - object: opportunity
    pipeline: "` + pipeline + `"
    events: ` + events + "\n"
	}
	tests := []struct {
		name           string
		pipeline, evts string
		wants          []string // none: valid
	}{
		{name: "names", pipeline: "Grands comptes", evts: `{Qualification: QUALIF, "Gagné": GAGNEE}`},
		{name: "names and ids", pipeline: "Ventes", evts: `{"Découverte": QUALIF, "14": PROPOSITION, "Signature": GAGNEE}`},
		{name: "an unknown pipeline name", pipeline: "Grand comptes", evts: `{Qualification: QUALIF}`,
			wants: []string{`pl.yaml: pipelines[0].pipeline: "Grand comptes" is neither the id nor the name of a sellsy pipeline (did you mean Grands comptes?); its pipelines: 1 "Ventes", 3 "Grands comptes", 2 "Partenariats"`}},
		{name: "an unknown step name", pipeline: "Ventes", evts: `{"Découverte": QUALIF, "Signatur": GAGNEE}`,
			wants: []string{`pl.yaml: pipelines[0].events["Signatur"]: "Signatur" is neither the id nor the name of a step of pipeline "Ventes" (1) (did you mean Signature?); its steps: 11 "Découverte", 14 "Proposition", 12 "Négociation", 13 "Signature"`}},
		{name: "a step of another pipeline", pipeline: "Grands comptes", evts: `{Qualification: QUALIF, Signature: GAGNEE}`,
			wants: []string{`pipelines[0].events["Signature"]: "Signature" is neither the id nor the name of a step of pipeline "Grands comptes" (3)`}},
		{name: "one pipeline by id and by name", pipeline: "1", evts: "{\"11\": QUALIF}\n  - object: opportunity\n    pipeline: Ventes\n    events: {\"Découverte\": QUALIF}",
			wants: []string{`pl.yaml: pipelines[1].pipeline: "Ventes" is pipeline 1, which pipelines[0] configures already: one configuration per pipeline`}},
		{name: "out of order, named as written", pipeline: "Ventes", evts: `{"Découverte": QUALIF, "Proposition": GAGNEE, "Signature": PROPOSITION}`,
			wants: []string{`pl.yaml: pipelines[0] (pipeline "Ventes" (1)): step "Signature" is bound to event "PROPOSITION", which comes before the event of an earlier step`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			validateLive(t, "pl.yaml", file(tt.pipeline, tt.evts), tt.wants...)
		})
	}
}
