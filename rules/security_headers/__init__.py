"""Rules of the checklist item `security-headers`: responses carry HSTS, CSP,
X-Content-Type-Options and X-Frame-Options."""
