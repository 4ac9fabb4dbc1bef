"""Local stand-ins for outside systems, never used in production."""
