"""backend-reviewer: a static reviewer for FastAPI and SQLAlchemy backends."""

__version__ = "0.1.0"
