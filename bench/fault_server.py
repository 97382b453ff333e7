"""Run the fault-injecting OpenAI-compatible server by hand (see tests/faults/fault_server.py).

    .venv/bin/python bench/fault_server.py --fault-rate 0.3 --seed 1
    FAKE_BASE_URL=<printed url> FAKE_API_KEY=x .venv/bin/mhsafe eval suicide_risk \
        --model openai-api/fake/model --judge openai-api/fake/judge --limit 20

The server prints its base URL, serves until Ctrl-C/SIGTERM, then prints outcome counts.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults.fault_server import main

if __name__ == "__main__":
    main()
