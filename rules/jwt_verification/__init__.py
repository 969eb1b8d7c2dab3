"""Rules of the `jwt-verification` checklist item: JWTs are verified (signature, algorithm pinned,
expiry checked) before their claims decide who the caller is."""
