package main

import (
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/config"
)

// Every workflow the worker registers is one a connection file's start route may not start
// (config.IsOwnWorkflowType): the two lists are kept in step here.
func TestConfigKnowsEveryOwnWorkflowType(t *testing.T) {
	for _, wf := range ownWorkflows {
		full := runtime.FuncForPC(reflect.ValueOf(wf).Pointer()).Name()
		name := full[strings.LastIndex(full, ".")+1:]
		assert.True(t, config.IsOwnWorkflowType(name), name)
	}
	assert.False(t, config.IsOwnWorkflowType("OnNewDeal"))
}
