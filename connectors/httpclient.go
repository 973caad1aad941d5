package connectors

import (
	"net/http"
	"time"
)

// HTTPClient returns the client a connector makes its requests with: a copy of hc (nil: a
// new client), since resty changes the client it is given, with timeout when hc sets none —
// a request without a timeout could hold a pass for good.
func HTTPClient(hc *http.Client, timeout time.Duration) *http.Client {
	c := &http.Client{}
	if hc != nil {
		cp := *hc
		c = &cp
	}
	if c.Timeout == 0 {
		c.Timeout = timeout
	}
	return c
}
