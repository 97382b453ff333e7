"""mhsafe.audit."""
