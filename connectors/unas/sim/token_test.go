package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A token UNAS no longer accepts is answered in its one error shape, 400 + <Error> (reference
// §3.3); TokenStatus answers it 401 instead, as other APIs do.
func TestRefusedTokenShapes(t *testing.T) {
	cases := []struct {
		name   string
		opts   Options
		status int
	}{
		{name: "default: 400 with <Error>", status: 400},
		{name: "TokenStatus 401", opts: Options{TokenStatus: 401}, status: 401},
		{name: "errors as 429 leave the token's 400", opts: Options{ErrorStatus: 429}, status: 400},
	}
	refusals := []struct {
		name   string
		refuse func(e *env)
	}{
		{"unknown token", func(e *env) { e.tok = "nope" }},
		{"forgotten token", func(e *env) { e.s.ExpireTokens() }},
		{"expired token", func(e *env) { e.clk.Advance(2 * time.Hour) }},
	}
	for _, tc := range cases {
		for _, r := range refusals {
			t.Run(tc.name+"/"+r.name, func(t *testing.T) {
				e := start(t, tc.opts)
				st, _, _ := e.getOrder(t, "")
				assert.Equal(t, 200, st)
				r.refuse(e)
				st, _, body := e.getOrder(t, "")
				assert.Equal(t, tc.status, st)
				assert.Contains(t, body, "<Error>Invalid token</Error>")
				st, _ = e.post(t, "getOrderStatus", e.tok, "<Params></Params>")
				assert.Equal(t, tc.status, st)
			})
		}
	}
}
