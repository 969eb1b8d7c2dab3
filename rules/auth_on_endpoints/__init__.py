"""Rules of the checklist item `auth-on-endpoints`: endpoints that change or return private data
require authentication."""
