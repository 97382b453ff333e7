"""mhsafe.store."""
