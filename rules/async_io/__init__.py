"""Rules of the checklist item `async-io`: no blocking I/O on the event loop while serving."""
