package main

import (
	"fmt"
	"path/filepath"

	"github.com/kelseyhightower/envconfig"
	"go.temporal.io/sdk/client"
)

// settings are the CRMSYNC_* variables the CLI shares with the worker.
type settings struct {
	TemporalAddress string `envconfig:"TEMPORAL_ADDRESS" default:"localhost:7233"`
	Namespace       string `envconfig:"NAMESPACE" default:"default"`
	TaskQueue       string `envconfig:"TASK_QUEUE" default:"crmsync"`
	Connections     string `envconfig:"CONNECTIONS" default:"./connections"`
	DataDir         string `envconfig:"DATA_DIR" default:"./data"`
	StoreDSN        string `envconfig:"STORE_DSN"`
}

func loadSettings() (settings, error) {
	var s settings
	if err := envconfig.Process("crmsync", &s); err != nil {
		return s, fmt.Errorf("settings: %w", err)
	}
	if s.StoreDSN == "" {
		s.StoreDSN = "sqlite:" + filepath.Join(s.DataDir, "crmsync.db")
	}
	return s, nil
}

func dial() (client.Client, settings, error) {
	s, err := loadSettings()
	if err != nil {
		return nil, s, err
	}
	c, err := client.Dial(client.Options{HostPort: s.TemporalAddress, Namespace: s.Namespace, Logger: quietLogger{}})
	if err != nil {
		return nil, s, fmt.Errorf("temporal at %s: %w", s.TemporalAddress, err)
	}
	return c, s, nil
}

// quietLogger keeps the SDK's info logs out of the CLI's output.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
