"""mhsafe.review."""
