package unas

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Reading an answer never panics, and an order it cannot read is named by its Key.
func FuzzDecodeOrders(f *testing.F) {
	f.Add(`<Orders>` + rawOrder("1", "https://x/?a=1&b=2", "Kovács", "") + `</Orders>`)
	f.Add(`<Orders><Order><Key>1</Key><Customer><Contact><Name><![CDATA[Kovács ]]> Kft]]></Name></Contact></Customer></Order></Orders>`)
	f.Add(`<Orders><Order><Key>1</Key><Name>A <B</Name></Order><Order><Key>2</Key></Order></Orders>`)
	f.Add(`<Orders><Order><Key>1</Key><Customer><Contact><Name>Kovács <Kft> Anna</Name></Contact></Customer></Order></Orders>`)
	f.Add(`<Orders><Order><Key>1</Key><Name>A <b>x</b> </i> B<br/></Name></Order><Order><Key>2</Key></Order></Orders>`)
	f.Add("<?xml version=\"1.0\" encoding=\"ISO-8859-2\" ?><Orders><Order><Key>\xf5</Key></Order></Orders>")
	f.Fuzz(func(t *testing.T, raw string) {
		orders, err := decodeOrders([]byte(raw))
		if err != nil {
			return
		}
		for _, o := range orders {
			if o.Bad != nil {
				assert.NotEmpty(t, o.Key, "%q", raw)
				assert.NotEmpty(t, o.Bad.Reason)
			}
		}
	})
}
