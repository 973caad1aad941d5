package connectors

import (
	"fmt"
	"strconv"
)

// Text writes a value decoded from JSON as text: a number whole as the API sent it (an id
// 38476512, not fmt's 3.8476512e+07), anything else as fmt prints it.
func Text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	}
	return fmt.Sprint(v)
}
