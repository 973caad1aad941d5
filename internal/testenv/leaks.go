package testenv

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
)

// EmailAddress matches an e-mail address, which DESIGN rule 1 keeps out of histories.
var EmailAddress = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)

// A Text is one piece of text a history event holds: a string or bytes field, or the decoded
// content of a payload.
type Text struct {
	EventID   int64
	EventType enums.EventType
	// Path names the field inside the event, e.g.
	// "activity_task_completed_event_attributes.result.payloads[0]".
	Path string
	Text string
}

// A Leak is a credential or an e-mail address found in a history.
type Leak struct {
	Text
	Match string
}

func (l Leak) String() string {
	if l.EventID == 0 {
		return fmt.Sprintf("%s: %q", l.Path, l.Match)
	}
	return fmt.Sprintf("event %d %s, %s: %q", l.EventID, l.EventType, l.Path, l.Match)
}

// HistoryTexts returns every text of a history with each payload decoded. protojson (HistoryJSON)
// renders payload data as base64, so a search over it never sees workflow and activity inputs,
// results, signals, heartbeat details, failure details, memos or search attributes. Payloads are
// found by walking every event's message generically, so no event type or field is missed. A
// payload that cannot be decoded (unknown encoding, e.g. a codec's) is an error, never skipped.
func HistoryTexts(h *historypb.History) ([]Text, error) {
	w := &walker{}
	for _, e := range h.GetEvents() {
		w.eventID, w.eventType = e.GetEventId(), e.GetEventType()
		w.message(e.ProtoReflect(), "")
	}
	return w.result("history")
}

// MessageTexts is HistoryTexts for any message, e.g. a DescribeWorkflowExecution response,
// whose pending activities carry their last heartbeat details.
func MessageTexts(m proto.Message) ([]Text, error) {
	w := &walker{}
	w.message(m.ProtoReflect(), "")
	return w.result("message")
}

// FindLeaks returns every occurrence of a secret and every e-mail address in a history's texts,
// payloads decoded. Empty secrets are ignored.
func FindLeaks(h *historypb.History, secrets ...string) ([]Leak, error) {
	texts, err := HistoryTexts(h)
	return findLeaks(texts, secrets), err
}

// FindLeaksIn is FindLeaks for any message (see MessageTexts).
func FindLeaksIn(m proto.Message, secrets ...string) ([]Leak, error) {
	texts, err := MessageTexts(m)
	return findLeaks(texts, secrets), err
}

// isIdentity reports whether a path is a worker or client identity field, which Temporal
// fills with "pid@host@" and crmsync never writes to.
func isIdentity(path string) bool {
	return path == "identity" || strings.HasSuffix(path, ".identity") || strings.HasSuffix(path, "_identity")
}

func findLeaks(texts []Text, secrets []string) []Leak {
	var leaks []Leak
	for _, t := range texts {
		for _, s := range secrets {
			if s != "" && strings.Contains(t.Text, s) {
				leaks = append(leaks, Leak{Text: t, Match: s})
			}
		}
		if isIdentity(t.Path) {
			continue // "pid@host@": a host name with dots reads as an address, and is none
		}
		for _, m := range EmailAddress.FindAllString(t.Text, -1) {
			leaks = append(leaks, Leak{Text: t, Match: m})
		}
	}
	// A payload's raw JSON and its decoded fields hold the same match: report the field only,
	// and once.
	out := leaks[:0]
	seen := map[Leak]bool{}
	for _, l := range leaks {
		key := Leak{Text: Text{EventID: l.EventID, Path: l.Path}, Match: l.Match}
		if !seen[key] && !hasDeeper(leaks, l) {
			seen[key] = true
			out = append(out, l)
		}
	}
	return out
}

func hasDeeper(leaks []Leak, l Leak) bool {
	for _, o := range leaks {
		if o.EventID == l.EventID && o.Match == l.Match && len(o.Path) > len(l.Path) && strings.HasPrefix(o.Path, l.Path) {
			return true
		}
	}
	return false
}

type walker struct {
	eventID   int64
	eventType enums.EventType
	out       []Text
	errs      []string
}

// result is what the walk found, and an error naming what, a history or a message, could
// not be fully searched.
func (w *walker) result(what string) ([]Text, error) {
	if len(w.errs) > 0 {
		return w.out, fmt.Errorf("%s cannot be fully searched: %s", what, strings.Join(w.errs, "; "))
	}
	return w.out, nil
}

func (w *walker) text(path, s string) {
	if s == "" {
		return
	}
	w.out = append(w.out, Text{EventID: w.eventID, EventType: w.eventType, Path: path, Text: s})
}

func (w *walker) fail(path, format string, args ...any) {
	w.errs = append(w.errs, fmt.Sprintf("event %d %s, %s: %s", w.eventID, w.eventType, path, fmt.Sprintf(format, args...)))
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func (w *walker) message(m protoreflect.Message, path string) {
	switch v := m.Interface().(type) {
	case *commonpb.Payload:
		w.payload(v, path)
		return
	case *anypb.Any:
		inner, err := v.UnmarshalNew()
		if err != nil {
			w.text(path, string(v.GetValue()))
			w.fail(path, "Any of type %s: %v", v.GetTypeUrl(), err)
			return
		}
		w.message(inner.ProtoReflect(), path)
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := join(path, string(fd.Name()))
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				w.value(fd, l.Get(i), fmt.Sprintf("%s[%d]", name, i))
			}
		case fd.IsMap():
			m := v.Map()
			var keys []protoreflect.MapKey
			m.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
				keys = append(keys, k)
				return true
			})
			slices.SortFunc(keys, func(a, b protoreflect.MapKey) int { return strings.Compare(a.String(), b.String()) })
			for _, k := range keys {
				w.text(name+" key", k.String())
				w.value(fd.MapValue(), m.Get(k), fmt.Sprintf("%s[%s]", name, k.String()))
			}
		default:
			w.value(fd, v, name)
		}
		return true
	})
}

func (w *walker) value(fd protoreflect.FieldDescriptor, v protoreflect.Value, path string) {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		w.message(v.Message(), path)
	case protoreflect.StringKind:
		w.text(path, v.String())
	case protoreflect.BytesKind:
		w.text(path, string(v.Bytes()))
	}
}

// payload decodes one payload the way the SDK's default data converter encodes it.
func (w *walker) payload(p *commonpb.Payload, path string) {
	for _, k := range slices.Sorted(maps.Keys(p.GetMetadata())) {
		w.text(path+".metadata["+k+"]", string(p.GetMetadata()[k]))
	}
	data := p.GetData()
	if len(p.GetMetadata()) == 0 && len(data) == 0 {
		return
	}
	switch enc := string(p.GetMetadata()[converter.MetadataEncoding]); enc {
	case converter.MetadataEncodingNil:
	case converter.MetadataEncodingBinary:
		w.text(path, string(data))
	case converter.MetadataEncodingJSON, converter.MetadataEncodingProtoJSON:
		// The raw JSON and, decoded, every key and string: JSON escapes would hide a secret
		// holding a quote, a backslash or <>&.
		w.text(path, string(data))
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			w.fail(path, "%s payload: %v", enc, err)
			return
		}
		w.jsonValue(v, path)
	case converter.MetadataEncodingProto:
		w.text(path, string(data)) // a proto's strings are there verbatim, in case it cannot be decoded
		name := string(p.GetMetadata()[converter.MetadataMessageType])
		mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name))
		if err != nil {
			w.fail(path, "binary/protobuf payload of type %q: %v", name, err)
			return
		}
		m := mt.New().Interface()
		if err := proto.Unmarshal(data, m); err != nil {
			w.fail(path, "binary/protobuf payload of type %q: %v", name, err)
			return
		}
		w.message(m.ProtoReflect(), path)
	default:
		w.text(path, string(data))
		w.fail(path, "payload encoding %q cannot be decoded", enc)
	}
}

func (w *walker) jsonValue(v any, path string) {
	switch v := v.(type) {
	case string:
		w.text(path, v)
		// A Go []byte field is JSON-encoded as base64: search what it holds too.
		if b, ok := decodeBase64Text(v); ok {
			w.text(path+" (base64)", b)
		}
	case []any:
		for i, e := range v {
			w.jsonValue(e, fmt.Sprintf("%s[%d]", path, i))
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) { // sorted: reports in a stable order
			w.text(path+" key", k)
			w.jsonValue(v[k], path+"."+k)
		}
	}
}

var base64Text = regexp.MustCompile(`^[A-Za-z0-9+/]{8,}={0,2}$`)

// decodeBase64Text decodes s when it is standard base64 of printable UTF-8 text.
func decodeBase64Text(s string) (string, bool) {
	if len(s)%4 != 0 || !base64Text.MatchString(s) {
		return "", false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || !utf8.Valid(b) {
		return "", false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			return "", false
		}
	}
	return string(b), true
}
