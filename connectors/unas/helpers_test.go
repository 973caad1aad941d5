package unas

import "github.com/crmsync/crmsync/connectors/simkit"

func simkitFaults(errorRate float64) simkit.Faults { return simkit.Faults{ErrorRate: errorRate} }
