"""mhsafe.models."""
