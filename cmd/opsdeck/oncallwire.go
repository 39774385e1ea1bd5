package main

import (
	"github.com/opsdeck/opsdeck/fleet"
)

// storeHost finds a host of the store by name (the fleet as reloaded).
func storeHost(store *fleet.Store) func(string) *fleet.Host {
	return func(name string) *fleet.Host {
		if st, ok := store.Status(name); ok {
			return st.Host
		}
		return nil
	}
}
