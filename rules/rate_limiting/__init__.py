"""Rules of the checklist item `rate-limiting`: authentication endpoints are rate limited."""
