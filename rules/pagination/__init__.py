"""Rules of the `pagination` checklist item: list endpoints are paginated with an upper bound."""
