package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

// push takes the record by --id or by --email: a mistake says which, before anything is
// read or dialled.
func TestPushSaysWhichOfIDAndEmailIsWrong(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"push", "conn"}, "push: give --id or --email"},
		{[]string{"push", "conn", "--id", "12", "--email", "ada@example.com"}, "push: give --id or --email, not both"},
	} {
		err := run(context.Background(), tt.args, &bytes.Buffer{})
		assert.EqualError(t, err, tt.want, "%v", tt.args)
	}
}
