package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// typographicQuotes turns what a status map pasted from a guide, a web page or a word
// processor arrives with into what it means: typographic quotes into plain double quotes,
// and the Unicode spaces (the non-breaking U+00A0 and U+202F of web pages, the seed page's
// among them, and the other space separators) into plain spaces, between the names and
// inside them. Each is one character for one, so that a position in the text it returns is
// the same position in the user's text.
var typographicQuotes = strings.NewReplacer(
	"“", `"`, "”", `"`, "„", `"`, "‟", `"`, "«", `"`, "»", `"`, "″", `"`,
	"\u00a0", " ", "\u202f", " ", "\u1680", " ", "\u2000", " ", "\u2001", " ", "\u2002", " ",
	"\u2003", " ", "\u2004", " ", "\u2005", " ", "\u2006", " ", "\u2007", " ", "\u2008", " ",
	"\u2009", " ", "\u200a", " ", "\u205f", " ", "\u3000", " ")

// ParseStatusMap reads a status map in the integration guide's format,
// {"Unas-Status1": "MiniCRM-Status1", …}, typographic quotes and non-breaking spaces
// accepted. A status mapped twice is an error naming it (JSON would silently keep the last);
// text that cannot be read is named by its character and its line and character number. The
// names are composed (Unicode NFC): an accent pasted as a letter and a combining mark (macOS,
// some PDFs: "e" + U+0301) is the one character "é" it looks like, as the shop's names are.
func ParseStatusMap(text string) (map[string]string, error) {
	plain := typographicQuotes.Replace(text)
	if strings.TrimSpace(plain) == "" {
		return nil, errors.New("the status map is empty: write it as {\"UNAS status\": \"MiniCRM status\", …}")
	}
	if err := checkSyntax(text, plain); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(plain)))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, errors.New(`the status map must be an object: {"UNAS status": "MiniCRM status", …}`)
	}
	out := map[string]string{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("the status map is not valid: %v", err)
		}
		key := norm.NFC.String(kt.(string))
		var val any
		if err := dec.Decode(&val); err != nil {
			return nil, fmt.Errorf("the status map is not valid after %q: %v", key, err)
		}
		s, ok := val.(string)
		if !ok {
			return nil, fmt.Errorf("status %q maps to %v: the target must be a status name in quotes", key, val)
		}
		if strings.TrimSpace(key) == "" || strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("status %q → %q: names cannot be empty", key, s)
		}
		s = norm.NFC.String(s)
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("status %q is mapped twice", key)
		}
		out[key] = s
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("the status map is not valid at its end: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("the status map has text after its closing brace")
	}
	return out, nil
}

// checkSyntax reads plain (text with its quotes and spaces made plain) as one JSON object and
// names what cannot be read in the user's text: the character and its place.
func checkSyntax(text, plain string) error {
	dec := json.NewDecoder(strings.NewReader(plain))
	tok, err := dec.Token()
	if err == nil && tok != json.Delim('{') {
		return errors.New(`the status map must be an object: {"UNAS status": "MiniCRM status", …}`)
	}
	for depth := 1; err == nil && depth > 0; {
		if tok, err = dec.Token(); err == nil {
			switch tok {
			case json.Delim('{'), json.Delim('['):
				depth++
			case json.Delim('}'), json.Delim(']'):
				depth--
			}
		}
	}
	if err != nil {
		at, why, ok := syntaxError(plain)
		if !ok {
			return errors.New("the status map is not valid: it ends before its closing brace (a quote, a name or the brace is missing)")
		}
		return fmt.Errorf("the status map is not valid: %s, %s", where(text, plain, at), why)
	}
	end := int(dec.InputOffset())
	if rest := strings.TrimLeft(plain[end:], " \t\r\n"); rest != "" {
		return fmt.Errorf("the status map has text after its closing brace: %s", where(text, plain, len(plain)-len(rest)))
	}
	return nil
}

// syntaxError finds where plain stops being the beginning of a JSON text: the byte offset of
// the first character that cannot follow what comes before it, and what was expected there
// in words. ok is false when plain is only cut short. (encoding/json's offsets point before
// or after the character depending on where it failed, so the place is found here.)
func syntaxError(plain string) (at int, why string, ok bool) {
	prefixErr := func(n int) error { // the syntax error of plain[:n], nil if none
		dec := json.NewDecoder(strings.NewReader(plain[:n]))
		for {
			_, err := dec.Token()
			if err == nil {
				continue
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil
			}
			return err // a *json.SyntaxError, or the decoder's "expected colon after object key"
		}
	}
	whole := prefixErr(len(plain))
	if whole == nil {
		return 0, "", false
	}
	// The shortest prefix that is wrong ends with the character at fault: a prefix of a
	// wrong text is wrong once it holds that character, and never before.
	lo, hi := 0, len(plain) // plain[:lo] is fine, plain[:hi] is wrong
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if prefixErr(mid) != nil {
			hi = mid
		} else {
			lo = mid
		}
	}
	at = lo
	for at > 0 && !utf8.RuneStart(plain[at]) {
		at--
	}
	return at, expected(prefixErr(hi), whole), true
}

// expected says what should have been where a syntax error is, from encoding/json's words.
func expected(errs ...error) string {
	for _, e := range errs {
		if e == nil {
			continue
		}
		msg := e.Error()
		switch {
		case strings.Contains(msg, "after object key:value pair"):
			return "where a comma or the closing brace should be"
		case strings.Contains(msg, "colon"), strings.Contains(msg, "after object key"):
			return "where a colon should follow the status name"
		case strings.Contains(msg, "beginning of object key string"):
			return "where a status name in quotes should begin"
		case strings.Contains(msg, "beginning of value"):
			return "where a status name in quotes should be"
		case strings.Contains(msg, "in string literal"):
			return "inside a name, where it cannot be"
		}
	}
	return "where it cannot be"
}

// where names the character of text at byte offset at of plain (text with its quotes and
// spaces made plain, which holds the same characters at the same places) and its place:
// `"x" at character 12`, or `… at line 2, character 5` in a text of several lines.
func where(text, plain string, at int) string {
	n := utf8.RuneCountInString(plain[:at]) // characters before it
	runes := []rune(text)
	r := runes[n]
	line, col := 1, 1
	for _, c := range runes[:n] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	place := fmt.Sprintf("at character %d", col)
	if strings.Contains(text, "\n") {
		place = fmt.Sprintf("at line %d, character %d", line, col)
	}
	return fmt.Sprintf("%s %s", charName(r), place)
}

// charName names a character as a user can find it: "x" when it can be seen, else what it
// is and its code.
func charName(r rune) string {
	switch {
	case r == '\t':
		return "a tab"
	case r == '\n' || r == '\r':
		return "a line break"
	case strings.ContainsRune(`"“”„‟«»″`, r):
		return fmt.Sprintf("a quote (%c)", r)
	case r == utf8.RuneError:
		return "a character that is not valid UTF-8"
	case unicode.IsPrint(r):
		return fmt.Sprintf("%q", string(r))
	case unicode.IsSpace(r):
		return fmt.Sprintf("a space character (U+%04X)", r)
	}
	return fmt.Sprintf("an invisible character (U+%04X)", r)
}

// InvisibleDifference tells, in words, how two names that are not equal differ when the
// difference cannot be seen: accents written as a letter and a combining mark in one of them
// ("e" + U+0301, which reads exactly as "é"), an invisible character (a zero-width space, a
// soft hyphen, a byte-order mark: Unicode's format characters) and where it is, or a space at
// a name's start or end. ok is false when the names are equal or differ in what can be seen.
func InvisibleDifference(a, b string) (why string, ok bool) {
	if a == b {
		return "", false
	}
	ca, cb := norm.NFC.String(a), norm.NFC.String(b)
	if visibleForm(ca) != visibleForm(cb) {
		return "", false
	}
	var whys []string
	if ra, rb := []rune(ca), []rune(cb); ca != cb {
		i := 0
		for i < len(ra) && i < len(rb) && ra[i] == rb[i] {
			i++
		}
		switch {
		case i < len(ra) && invisible(ra[i]):
			whys = append(whys, fmt.Sprintf("%s at character %d of %q", charName(ra[i]), i+1, a))
		case i < len(rb) && invisible(rb[i]):
			whys = append(whys, fmt.Sprintf("%s at character %d of %q", charName(rb[i]), i+1, b))
		default:
			whys = append(whys, "a space at its start or end")
		}
	}
	for _, n := range []string{a, b} {
		if !norm.NFC.IsNormalString(n) {
			whys = append(whys, fmt.Sprintf("%q is written with decomposed accents (a letter followed by a combining accent, as macOS and some PDFs copy text), which read the same as the composed ones", n))
		}
	}
	return strings.Join(whys, "; "), true
}

// visibleForm is a composed name without its invisible characters and surrounding spaces.
func visibleForm(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, s))
}

// invisible reports whether r is a character that takes no room: Unicode's format
// characters (zero-width space and joiners, soft hyphen, byte-order mark, direction marks).
func invisible(r rune) bool { return unicode.Is(unicode.Cf, r) }
