//! BGP sessions: the RFC 4271 finite state machine, capability negotiation, peer I/O tasks.
