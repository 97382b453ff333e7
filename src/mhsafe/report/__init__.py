"""mhsafe.report."""
