"""mhsafe.audit.synth: synthetic deployment logs with ground-truth labels.

For testing the audit end to end and measuring the screen on conversations whose truth is
known. Never tune a screen on the seeds you report it on (docs/screen.md lists the held-out
seeds).
"""

from ._generate import OUTCOMES, generate
from ._templates import CrisisLine, Registry, load_registry
from ._write import labels_path, write_logs

__all__ = ["OUTCOMES", "CrisisLine", "Registry", "generate", "labels_path", "load_registry",
           "write_logs"]
