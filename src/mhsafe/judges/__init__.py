"""mhsafe.judges."""
