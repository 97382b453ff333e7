"""Entry point for Inspect AI (`[project.entry-points.inspect_ai]`).

Importing this module registers mhsafe's model provider (`mhsafe/local`) and its tasks
(`mhsafe/suicide_risk`, ...), so `inspect eval mhsafe/suicide_risk --model mhsafe/local` works
without mhsafe's own CLI.
"""

from mhsafe.models import _provider  # noqa: F401  (registers mhsafe/local)
from mhsafe.suites._evidence_suites import (  # noqa: F401
    clinical_facts,
    consistency,
    demographic,
)
from mhsafe.suites._tasks import (  # noqa: F401
    harmful_content,
    jailbreak,
    over_refusal,
    refusal_robustness,
    suicide_risk,
)
from mhsafe.suites.clinical._tasks import (  # noqa: F401
    cbt_restructuring,
    pe_exposure,
)
