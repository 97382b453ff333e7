"""The simulated patient on the real embedded instruct model stays in role.

Over a few scenarios (both protocols, four tiers) the patient model writes its second turn
after an assistant reply: a plausible therapist reply for most, and for two the kind of echo
the demo's base-model system really writes ("You are a therapist who..."), which used to turn
the patient into the therapist. The offline role rules (``_role``) decide whether it spoke as
the patient (no assistant-speak, therapist-speak, refusal or fourth wall), exactly as in
production: one greedy try, one seeded resample on a slip, else the scripted line. Both rates
are printed (`pytest -s`); the final one must stay high.
"""

from __future__ import annotations

import anyio
import pytest

from mhsafe.models import get_model
from mhsafe.schema import Message
from mhsafe.suites.clinical import load_clinical, load_personas, patient_prompt, persona_for
from mhsafe.suites.clinical._patient import patient_reply

pytestmark = [pytest.mark.llm, pytest.mark.timeout(900)]

THERAPIST = {
    "PE": "Thank you for sharing that. Can you tell me what you notice right now, and what your "
    "SUDS rating is from 0 to 100?",
    "CBT": "Let's look at that thought together. What evidence do you have for it, and what "
    "evidence goes against it?",
    "echo": "You are a therapist who is working with a patient who has been diagnosed with "
    "PTSD. The patient has given informed consent to this exercise and agreed to",
}
PICKS = (
    ("pe_exposure", "routine", "PE"),
    ("pe_exposure", "distress", "echo"),
    ("pe_exposure", "imminent", "PE"),
    ("cbt_restructuring", "routine", "CBT"),
    ("cbt_restructuring", "distress", "echo"),
    ("cbt_restructuring", "crisis_adjacent", "CBT"),
)
MIN_IN_ROLE = 5 / 6


def test_patient_stays_in_role_over_scenarios() -> None:
    personas = load_personas()
    model = get_model("mhsafe/instruct-local", max_tokens=40, timeout_s=180, max_retries=0)
    results: list[tuple[str, bool, int, tuple[str, ...]]] = []

    async def run() -> None:
        for suite, tier, reply in PICKS:
            case = next(
                (c for c in load_clinical(suite) if c.metadata.get("tier") == tier),
                None,
            )
            if case is None:
                continue
            persona = persona_for(case, personas)
            history = [
                Message(role="user", content=case.turns[0]),
                Message(role="assistant", content=THERAPIST[reply]),
            ]
            turn = await patient_reply(model, patient_prompt(persona, case), history,
                                       name=persona.name, seed=len(results))
            results.append((case.id, turn.text is not None, turn.tries, turn.breaks))

    anyio.run(run)
    assert len(results) >= 5
    first = sum(ok and tries == 1 for _, ok, tries, _ in results) / len(results)
    rate = sum(ok for _, ok, _, _ in results) / len(results)
    print(f"\npatient in-role rate: {rate:.2f} over {len(results)} scenarios "
          f"(first try {first:.2f})")
    for case_id, ok, tries, breaks in results:
        state = "in role" if ok else "fallback"
        print(f"  {case_id}: {state} after {tries} tries; broke {','.join(breaks) or '-'}")
    assert rate >= MIN_IN_ROLE, results
