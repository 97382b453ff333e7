"""What users said in a deployment log: its user turns, read as the audit reads the log, for
measuring how well a test set covers real traffic (``mhsafe report --ecological``).

Read through the audit's own ingest, so a record the audit would quarantine is left out here
too (a turn nobody could attribute to a user is not evidence of what users say). Large logs
are cut to ``cap`` turns by a seeded sample, so the same log always gives the same figures.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

from mhsafe.audit._ingest import check_inputs, iter_batches


def sample_user_turns(paths: Sequence[Path], cap: int, *, seed: int = 0) -> list[str]:
    """Every user turn of the logs at ``paths`` in file order, or a seeded sample of ``cap``
    of them when there are more. Raises ``InputError`` for a log that cannot be read."""
    check_inputs(paths)
    turns = [m.content for batch in iter_batches(list(paths), 500)
             for conv in batch.conversations for m in conv.messages if m.role == "user"]
    if len(turns) > cap:
        turns = random.Random(seed).sample(turns, cap)
    return turns
