package sim

import "slices"

// AddStatus adds a status to the shop, as a shop owner does in UNAS's admin: a status map
// complete before no longer is.
func (s *Server) AddStatus(st OrderStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Statuses = append(slices.Clone(s.opts.Statuses), st)
}

// RemoveStatus deletes a status of the shop; orders that hold it keep it.
func (s *Server) RemoveStatus(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Statuses = slices.DeleteFunc(slices.Clone(s.opts.Statuses), func(st OrderStatus) bool { return string(st.Name) == name })
}
