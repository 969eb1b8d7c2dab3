"""Rules of the checklist item `input-validation`: every endpoint validates its input with Pydantic models."""
