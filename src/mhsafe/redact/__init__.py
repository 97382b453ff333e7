"""mhsafe.redact: personal data out of conversation text before it leaves the machine.

One implementation for every room that lets text out: the audit (review queue, text sent to an
LLM judge) and the safeguard proxy (its traffic log). Crisis-line numbers are never redacted in
any written form; the registry is read through ``mhsafe.judges``.
"""

from mhsafe.redact._redact import protected_numbers, redact

__all__ = ["protected_numbers", "redact"]
