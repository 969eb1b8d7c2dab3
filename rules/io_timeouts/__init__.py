"""Rules of the checklist item `io-timeouts`: every outbound network call has a timeout."""
