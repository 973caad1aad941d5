package unas

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// Reading getOrder's answers order by order.
//
// decodeXML reads an answer as a whole. When an orders answer cannot be read so (an order's
// text holds a "]]>" inside its CDATA, or a "<" outside one), or a bare text holds a tag-like
// part ("Kovács <Kft> Anna", which the non-strict decoder would read as an element, cutting
// the text without an error: tagLike), it is cut into its <Order> blocks and each is read on
// its own, repaired: a block that still cannot be read (a tag-like part that could be the
// order's own XML) becomes an order with only its Key, Date and DateMod (read from its text)
// and Bad saying why, which a listing names in Page.Unreadable (the sync quarantines it)
// while the others of the page are read. An answer that is no orders answer, or one whose
// blocks cannot all be found (cut off, an order without a readable Key), still fails whole.

// xBad says why an order of an answer cannot be read. Email is its customer's e-mail when it
// could be found in its text (for the customers derived from orders).
type xBad struct {
	Reason string
	Email  string
}

// Encodings an answer may declare besides UTF-8, by lower-cased label.
var encodings = map[string]encoding.Encoding{
	"iso-8859-1": charmap.ISO8859_1, "iso8859-1": charmap.ISO8859_1, "iso_8859-1": charmap.ISO8859_1, "latin1": charmap.ISO8859_1, "l1": charmap.ISO8859_1,
	"iso-8859-2": charmap.ISO8859_2, "iso8859-2": charmap.ISO8859_2, "iso_8859-2": charmap.ISO8859_2, "latin2": charmap.ISO8859_2, "l2": charmap.ISO8859_2,
	"windows-1250": charmap.Windows1250, "cp1250": charmap.Windows1250, "x-cp1250": charmap.Windows1250,
	"windows-1252": charmap.Windows1252, "cp1252": charmap.Windows1252,
}

// declEncoding is an XML declaration's encoding: its value is group 2.
var declEncoding = regexp.MustCompile(`^(\xef\xbb\xbf)?\s*<\?xml\s[^>]*?\bencoding\s*=\s*(?:"([^"]*)"|'([^']*)')`)

// declValue is where a match of declEncoding has the encoding's value, quoted with " or '.
func declValue(m []int) (lo, hi int) {
	if m[4] >= 0 {
		return m[4], m[5]
	}
	return m[6], m[7]
}

// utf8Answer returns an answer as UTF-8 made of XML 1.0 characters (xmlChars, and
// xmlCharRefs for those written as references): an answer declaring ISO-8859-1, ISO-8859-2
// (UNAS is Hungarian), Windows-1250 or Windows-1252 is converted first, and its declaration
// then says UTF-8. Another encoding is an error naming it: read as UTF-8 its accented letters
// would be lost.
func utf8Answer(raw []byte) ([]byte, error) {
	m := declEncoding.FindSubmatchIndex(raw)
	if m == nil {
		return xmlCharRefs(xmlChars(raw)), nil
	}
	lo, hi := declValue(m)
	label := strings.ToLower(strings.TrimSpace(string(raw[lo:hi])))
	if label == "utf-8" || label == "utf8" || label == "" {
		return xmlCharRefs(xmlChars(raw)), nil
	}
	enc, ok := encodings[label]
	if !ok {
		return nil, fmt.Errorf("the answer is in the encoding %q, which is not read (UTF-8, ISO-8859-1, ISO-8859-2, Windows-1250 and Windows-1252 are)", string(raw[lo:hi]))
	}
	out, err := enc.NewDecoder().Bytes(raw)
	if err != nil {
		return nil, fmt.Errorf("the answer cannot be read as %s", string(raw[lo:hi]))
	}
	// The declaration now says what the text is.
	if m = declEncoding.FindSubmatchIndex(out); m != nil {
		lo, hi = declValue(m)
		out = append(append(append(make([]byte, 0, len(out)+8), out[:lo]...), "UTF-8"...), out[hi:]...)
	}
	return xmlCharRefs(xmlChars(out)), nil
}

// charRef is a numeric character reference: its hexadecimal digits are group 1, its decimal
// ones group 2.
var charRef = regexp.MustCompile(`&#(?:[xX]([0-9A-Fa-f]{1,8})|([0-9]{1,10}));`)

// xmlCharRefs drops the character references (outside CDATA, where they are references) to
// characters XML 1.0 does not allow: a U+000B pasted into a name, in a text UNAS writes bare,
// comes as "&#xB;" from libxml2's escaping rather than as the character xmlChars drops, and
// encoding/xml refuses the reference as it refuses the character, so the order would be
// quarantined until someone edits it in UNAS.
func xmlCharRefs(text []byte) []byte {
	if !bytes.Contains(text, []byte("&#")) {
		return text
	}
	return outsideCDATA(text, func(t []byte) []byte {
		return charRef.ReplaceAllFunc(t, func(ref []byte) []byte {
			m := charRef.FindSubmatch(ref)
			n, err := strconv.ParseUint(string(m[2]), 10, 32)
			if len(m[1]) > 0 {
				n, err = strconv.ParseUint(string(m[1]), 16, 32)
			}
			if err != nil || n > unicode.MaxRune || xmlChar(rune(n)) {
				return ref // a character, or no reference encoding/xml reads (kept as text)
			}
			return nil
		})
	})
}

// newDecoder is the decoder of an answer made UTF-8 (utf8Answer), as lenient as encoding/xml
// allows: UNAS writes some texts without CDATA, where a raw "&" (an invoice URL's query,
// "?id=1&h=2") or an HTML entity ("&nbsp;") would make the whole page unreadable in strict
// mode; non-strict keeps the "&" as it is. No AutoClose: its HTML list is matched ignoring
// case, and UNAS's <Param> would close at once, losing the rest of the order without an
// error.
func newDecoder(text []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(text))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		if l := strings.ToLower(strings.TrimSpace(label)); l == "utf-8" || l == "utf8" {
			return r, nil
		}
		return nil, fmt.Errorf("the answer is in the encoding %q, which is not read", label)
	}
	return d
}

// decodeClean decodes an answer made UTF-8 (utf8Answer).
func decodeClean(text []byte, out any) error { return newDecoder(text).Decode(out) }

var (
	ordersRoot  = regexp.MustCompile(`<Orders[\s/>]`)
	ordersEnd   = regexp.MustCompile(`</Orders\s*>`)
	orderOpen   = regexp.MustCompile(`<Order[\s>]`)
	orderClose  = regexp.MustCompile(`</Order\s*>`)
	cdataSect   = regexp.MustCompile(`(?s)<!\[CDATA\[.*?\]\]>`)
	tagRe       = regexp.MustCompile(`<(/?)([A-Za-z_][\w.-]*)[^<>]*?(/?)>`)
	strayCDATA  = regexp.MustCompile(`(?s)<!\[CDATA\[(.*?)\]\]>\s*<`) // up to the "]]>" that a tag follows
	strayLess   = regexp.MustCompile(`<([^A-Za-z_/!?])`)              // a "<" that opens no tag
	elementText = func(name string) *regexp.Regexp {
		return regexp.MustCompile(`(?s)<` + name + `>\s*(?:<!\[CDATA\[(.*?)\]\]>|([^<]*))\s*</` + name + `>`)
	}
	keyRe, dateRe, dateModRe, emailRe = elementText("Key"), elementText("Date"), elementText("DateMod"), elementText("Email")
)

// decodeOrders reads getOrder's answer: whole when it can be, else order by order (see
// above). The error is the whole answer's.
func decodeOrders(raw []byte) ([]xOrder, error) {
	text, err := utf8Answer(raw)
	if err != nil {
		return nil, err
	}
	var out xOrders
	whole := decodeClean(text, &out)
	if whole == nil {
		if at, _, ok := tagLike(text); ok && len(at) == 0 {
			return out.Orders, nil
		}
		// A bare text holds a tag-like part, which the non-strict decoder reads as an element
		// without an error, cutting the text: read order by order, such texts are read whole.
		whole = errors.New("a text outside CDATA holds a tag-like part that UNAS did not escape")
	}
	blocks, ok := orderBlocks(text)
	if !ok {
		return nil, whole
	}
	orders := make([]xOrder, 0, len(blocks))
	for _, b := range blocks {
		o, err := decodeOrder(b)
		if err != nil {
			key := firstText(keyRe, b)
			if key == "" {
				return nil, fmt.Errorf("%w; an order in it without a readable Key cannot be read either (%s)", whole, err)
			}
			o = xOrder{Key: key, Date: firstText(dateRe, b), DateMod: firstText(dateModRe, b),
				Bad: &xBad{Reason: err.Error(), Email: strings.ToLower(firstText(emailRe, b))}}
		}
		orders = append(orders, o)
	}
	return orders, nil
}

// orderBlocks cuts an orders answer into its <Order>…</Order> blocks. ok is false when it is
// no orders answer, or when an order's block has no end or the answer no </Orders>: it was
// cut off, and what was read of it would pass for all of it.
func orderBlocks(text []byte) (blocks [][]byte, ok bool) {
	root := ordersRoot.FindIndex(text)
	if root == nil || bytes.Contains(text[:root[0]], []byte("<Error")) {
		return nil, false
	}
	opens := orderOpen.FindAllIndex(text[root[1]:], -1)
	end := root[1]
	for i, o := range opens {
		from, to := root[1]+o[0], len(text)
		if i+1 < len(opens) {
			to = root[1] + opens[i+1][0]
		}
		c := orderClose.FindIndex(text[from:to])
		if c == nil {
			return nil, false
		}
		blocks = append(blocks, text[from:from+c[1]])
		end = from + c[1]
	}
	if ordersEnd.FindIndex(text[end:]) == nil {
		return nil, false
	}
	return blocks, len(blocks) > 0
}

// decodeOrder reads one <Order> block, as it is and then repaired (repairOrder), its bare
// texts' tag-like parts read as text (readOrder). The error names where in the order it fails
// and why, never its text.
func decodeOrder(b []byte) (xOrder, error) {
	o, err := readOrder(b)
	if err == nil {
		return o, nil
	}
	if fixed, changed := repairOrder(b); changed {
		if r, ferr := readOrder(fixed); ferr == nil {
			return r, nil
		} else if _, tl := ferr.(tagLikeError); tl {
			err = ferr // repaired, the order's remaining fault
		}
	}
	return xOrder{}, err
}

// tagLikeError is the error of an order whose bare text holds a tag-like part that cannot be
// told from the order's own elements.
type tagLikeError struct{ reason string }

func (e tagLikeError) Error() string { return e.reason }

// readOrder decodes an order's block; the tag-like parts of its bare texts (tagLike) are
// escaped first, so that "Kovács <Kft> Anna" is read whole: the non-strict decoder would read
// "<Kft>" as an element, closed by </Name>, and the name as "Kovács", without an error. The
// error names where the order fails and why, never its text.
func readOrder(b []byte) (xOrder, error) {
	var o xOrder
	d := newDecoder(b)
	if err := d.Decode(&o); err != nil {
		return xOrder{}, errors.New(malformed(err, elementPath(b, d.InputOffset())))
	}
	at, where, ok := tagLike(b)
	if ok && len(at) == 0 {
		return o, nil
	}
	if ok {
		fixed := escapeAt(b, at)
		var r xOrder
		if decodeClean(fixed, &r) == nil {
			if again, _, clean := tagLike(fixed); clean && len(again) == 0 {
				return r, nil
			}
		}
		where = at[0]
	}
	// named by the element whose tag is at where (its "<" to its ">")
	if i := bytes.IndexByte(b[min(where, int64(len(b))):], '>'); i >= 0 {
		where += int64(i) + 1
	}
	return xOrder{}, tagLikeError{"its XML is malformed" + inPath(elementPath(b, where)) +
		": a text outside CDATA holds a tag-like part (\"<…>\") that UNAS did not escape, which cannot be told from the order's own elements"}
}

// inPath is " in <path>", or "" for no path.
func inPath(path string) string {
	if path == "" {
		return ""
	}
	return " in " + path
}

// orderElements are the elements of an order the connector reads: a tag-like part of a text
// named as one of them is not read as text (it could be the order's own, misplaced).
var orderElements = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields(`Orders Order Key Id Date DateMod Customer Email Contact Name Phone Mobile
		Addresses Invoice Shipping ZIP City Street Country CountryCode TaxNumber EUTaxNumber CustomerType
		Currency Status StatusID Payment Type Number Url SumPriceGross Items Item Sku Quantity Unit PriceGross`) {
		m[n] = true
	}
	return m
}()

// orderTexts are the elements of an order the connector reads as texts, which UNAS never
// writes with elements inside, wherever they stand: an element inside one is a tag-like part
// of its text ("<Name><p>Kovács</p></Name>"). Not Status: an item's PlusStatuses holds
// <Status> elements with elements inside.
var orderTexts = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields(`Key Id Date DateMod Email Name Phone Mobile ZIP City Street Country CountryCode
		TaxNumber EUTaxNumber CustomerType Currency StatusID Type Number Url SumPriceGross Sku Quantity Unit PriceGross`) {
		m[n] = true
	}
	return m
}()

// tagFrame is an element open while tagLike scans.
type tagFrame struct {
	name        string
	at          int64 // offset of its "<"
	selfClosing bool
	text        bool     // it holds text of its own (not blank)
	inner       []int64  // the "<" of every tag inside it
	names       []string // the names of the elements inside it
}

// tagLike finds the tag-like parts of bare texts (UNAS writes some texts without CDATA and
// unescaped) in an order's block or an answer, by the offsets of their "<". UNAS's XML has no
// mixed content (an element holds elements, or a text) and its tags match, so a tag is a
// text's when it stands in an element that holds text of its own ("Kovács <b>x</b>", "A <br/>
// B") or in one the connector reads as a text (orderTexts), when it ends no open element (a stray "</b>"), or when it is never closed, ended by an
// enclosing element's end tag ("<Name><Kft> Anna</Name>"); the tags inside such a part are
// its text's too. ok is false when the XML cannot be scanned, or when such a part could be the
// order's own XML (it, or a tag inside it, is named as an element the connector reads): read
// as text, it could make the order read wrong; where is then its offset.
func tagLike(b []byte) (at []int64, where int64, ok bool) {
	d := newDecoder(b)
	var stack []*tagFrame
	ours := func(name string) bool { return orderElements[name] }
	closeFrame := func(f *tagFrame, end int64) bool {
		// mixed content, or a text the connector reads holding elements: the tags inside are
		// its text's
		if (f.text || orderTexts[f.name]) && len(f.inner) > 0 {
			if slices.ContainsFunc(f.names, ours) {
				return false
			}
			at = append(at, f.inner...)
			f.inner, f.names = nil, nil
		}
		if len(stack) == 0 {
			return true
		}
		p := stack[len(stack)-1]
		p.inner = append(p.inner, f.at)
		if !f.selfClosing {
			p.inner = append(p.inner, end)
		}
		p.inner = append(p.inner, f.inner...)
		p.names = append(append(p.names, f.name), f.names...)
		return true
	}
	for {
		off := d.InputOffset()
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, off, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			end := d.InputOffset()
			stack = append(stack, &tagFrame{name: t.Name.Local, at: off, selfClosing: end >= 2 && bytes.HasPrefix(b[end-2:], []byte("/>"))})
		case xml.CharData:
			if len(stack) > 0 && len(bytes.TrimSpace(t)) > 0 {
				stack[len(stack)-1].text = true
			}
		case xml.EndElement:
			i := len(stack) - 1
			for i >= 0 && stack[i].name != t.Name.Local {
				i--
			}
			if i < 0 { // a stray end tag: its parent's text
				if len(stack) == 0 || orderElements[t.Name.Local] {
					return nil, off, false
				}
				at = append(at, off)
				stack[len(stack)-1].text = true
				continue
			}
			for j := len(stack) - 1; j > i; j-- { // start tags never closed: their parent's text
				u := stack[j]
				if ours(u.name) || slices.ContainsFunc(u.names, ours) {
					return nil, u.at, false
				}
				at = append(append(at, u.at), u.inner...)
				stack[j-1].text = true
			}
			f := stack[i]
			stack = stack[:i]
			if !closeFrame(f, off) {
				return nil, f.at, false
			}
		}
	}
	if len(stack) > 0 {
		return nil, stack[len(stack)-1].at, false
	}
	slices.Sort(at)
	return slices.Compact(at), 0, true
}

// escapeAt escapes the "<" at each offset of at (sorted) as "&lt;".
func escapeAt(b []byte, at []int64) []byte {
	out := make([]byte, 0, len(b)+3*len(at))
	last := int64(0)
	for _, i := range at {
		if i < last || i >= int64(len(b)) || b[i] != '<' {
			continue
		}
		out = append(append(out, b[last:i]...), "&lt;"...)
		last = i + 1
	}
	return append(out, b[last:]...)
}

// repairOrder mends the two faults an order's text is known to have: a "]]>" inside a CDATA
// text ("Kovács ]]> Kft", the CDATA taken to end at the "]]>" a tag follows) and a "<" that
// opens no tag outside CDATA ("A < B Kft"). Both texts are escaped instead.
func repairOrder(b []byte) ([]byte, bool) {
	fixed := strayCDATA.ReplaceAllFunc(b, func(m []byte) []byte {
		text := strayCDATA.FindSubmatch(m)[1]
		// Only a text whose "]]>" is followed by more text: what follows it holds no tag,
		// nor another CDATA.
		if i := bytes.Index(text, []byte("]]>")); i >= 0 && bytes.ContainsRune(text[i:], '<') {
			return m
		}
		return append([]byte(html.EscapeString(string(text))), m[len(m)-1])
	})
	fixed = outsideCDATA(fixed, func(t []byte) []byte { return strayLess.ReplaceAll(t, []byte("&lt;$1")) })
	return fixed, !bytes.Equal(fixed, b)
}

// outsideCDATA applies f to the parts of b outside its CDATA sections.
func outsideCDATA(b []byte, f func([]byte) []byte) []byte {
	var out []byte
	last := 0
	for _, m := range cdataSect.FindAllIndex(b, -1) {
		out = append(out, f(b[last:m[0]])...)
		out = append(out, b[m[0]:m[1]]...)
		last = m[1]
	}
	return append(out, f(b[last:])...)
}

// malformed says why an order cannot be read, in words that hold none of its text (an
// encoding/xml message may quote a piece of it).
func malformed(err error, at string) string {
	where := inPath(at)
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unescaped ]]>"):
		return "its XML is malformed" + where + ": a text holds \"]]>\" inside its CDATA, which ends it early; UNAS should write it split (\"]]]]><![CDATA[>\")"
	case strings.Contains(msg, "expected element name after <"), strings.Contains(msg, "invalid XML name"):
		return "its XML is malformed" + where + ": a text outside CDATA holds a \"<\" that UNAS did not escape"
	case strings.Contains(msg, "unexpected EOF"):
		return "its XML is malformed" + where + ": an element is not closed"
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return "its XML is malformed" + where
	}
	return "it cannot be read" + where
}

// elementPath names the element open at offset in an order's block ("Customer/Contact/Name"),
// from the tags before it (CDATA texts left out).
func elementPath(b []byte, offset int64) string {
	if offset <= 0 || offset > int64(len(b)) {
		return ""
	}
	prefix := cdataSect.ReplaceAll(b[:offset], nil)
	var stack []string
	for _, m := range tagRe.FindAllSubmatch(prefix, -1) {
		name := string(m[2])
		switch {
		case len(m[3]) > 0: // <X/>
		case len(m[1]) > 0:
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i] == name {
					stack = stack[:i]
					break
				}
			}
		default:
			stack = append(stack, name)
		}
	}
	if len(stack) > 0 && stack[0] == "Order" {
		stack = stack[1:]
	}
	return strings.Join(stack, "/")
}

// firstText is the text of the first element a pattern of elementText finds, trimmed.
func firstText(re *regexp.Regexp, b []byte) string {
	m := re.FindSubmatch(b)
	if m == nil {
		return ""
	}
	if len(m[1]) > 0 {
		return strings.TrimSpace(string(m[1]))
	}
	return strings.TrimSpace(html.UnescapeString(string(m[2])))
}
