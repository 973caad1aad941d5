package unas

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

var _ connectors.Caller = (*Client)(nil)

// functionName is the shape of a UNAS function: "getOrder", "setProduct".
var functionName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)

// classed are the functions the budget counts apart, by their lower-cased name: a call is
// counted under the function's own spelling whatever case it was asked in.
var classed = map[string]string{"getorder": "getOrder", "getorderstatus": "getOrderStatus"}

// xmlDecl matches a body's leading XML declaration.
var xmlDecl = regexp.MustCompile(`^<\?xml\s`)

// Call performs an arbitrary authorised API call (connectors.Caller): method POST, the only
// one UNAS has; path "/<function>", one segment relative to the API root ("/getOrder",
// "/getProduct"), with no query; body the function's XML parameters (an empty body sends
// <Params></Params>; an XML declaration of its own is dropped, the client writes UTF-8's).
// "/login" is refused: the client logs in itself. The call goes through the same ban check,
// hourly budget (the class of classOf, so that a spent budget is KindRateLimited without
// calling UNAS) and token renewal as every other call, and returns the raw XML answer. An
// <Error> answer or a non-200 status is classified as every other call's (a ban is
// KindRateLimited until its end; a refused request KindInvalid, a missing permission
// KindConfig) and returned with its status and body.
func (c *Client) Call(ctx context.Context, method, path string, query url.Values, body []byte) (int, []byte, error) {
	_, path, query, err := connectors.CallRequest(System, method, path, query, http.MethodPost)
	if err != nil {
		return 0, nil, err
	}
	function := strings.TrimPrefix(path, "/")
	if f, ok := classed[strings.ToLower(function)]; ok {
		function = f
	}
	switch {
	case !functionName.MatchString(function):
		return 0, nil, connectors.CallRefused(System, "path must be /<function>, one UNAS function such as /getOrder")
	case strings.EqualFold(function, "login"):
		return 0, nil, connectors.CallRefused(System, "/login is refused: the connector logs in itself")
	case len(query) > 0:
		return 0, nil, connectors.CallRefused(System, "UNAS takes no query: parameters go in the XML body")
	}
	params, err := xmlParams(body)
	if err != nil {
		return 0, nil, connectors.CallRefused(System, err.Error())
	}

	return c.exchange(ctx, function, params, "POST /"+function)
}

// xmlParams checks that body is one well-formed XML element (comments and processing
// instructions aside, no DOCTYPE) and returns it without its XML declaration, which post
// writes. An empty body is <Params></Params>. Errors name the line, never the content.
func xmlParams(body []byte) (string, error) {
	body = bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\uFEFF")))
	if len(body) == 0 {
		return "<Params></Params>", nil
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return "", fmt.Errorf("body is not well-formed XML (line %d)", se.Line)
			}
			return "", errors.New("body is not well-formed UTF-8 XML")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return "", errors.New("body is not well-formed XML: text outside the root element")
			}
		case xml.Directive:
			return "", errors.New("body must not hold a DOCTYPE or other directive")
		}
	}
	if roots != 1 {
		return "", fmt.Errorf("body must be one XML element, such as <Params>…</Params> (it holds %d)", roots)
	}
	if xmlDecl.Match(body) {
		if _, rest, ok := bytes.Cut(body, []byte("?>")); ok {
			body = bytes.TrimSpace(rest)
		}
	}
	return string(body), nil
}

// Repeatable implements connectors.Caller: a get… function, which reads. (The connector's own
// calls are never sent twice: its hourly budget is too small.)
func (c *Client) Repeatable(_, path string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimPrefix(path, "/")), "get")
}
