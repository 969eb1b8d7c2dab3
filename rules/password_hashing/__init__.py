"""Rules of the checklist item `password-hashing`: passwords are hashed with bcrypt, argon2, scrypt or
PBKDF2 with enough rounds, never stored plain or hashed fast."""
