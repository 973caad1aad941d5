package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Records match on their key whatever form their accents take: a name or an e-mail whose
// accents are a letter and a combining mark (copied from a PDF, a macOS file name) is the
// same key as the one typed on a keyboard. Compared as written, the pair was never made
// and a second record was created.
func TestMatchKeyComposesAccents(t *testing.T) {
	tests := []struct {
		name, typed, decomposed string
		want                    string
	}{
		{"company name", "Société Générale", "Socie\u0301te\u0301 Ge\u0301ne\u0301rale", "société générale"},
		{"capital accent", "ÉLODIE MARTIN", "E\u0301LODIE MARTIN", "élodie martin"},
		{"e-mail", "josé@exemple.fr", "JOSE\u0301@Exemple.fr", "josé@exemple.fr"},
		{"umlaut", "Müller GmbH", "Mu\u0308ller GmbH", "müller gmbh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, MatchKey(tt.typed), "typed")
			assert.Equal(t, tt.want, MatchKey(tt.decomposed), "decomposed")
		})
	}
}
