"""The protocol-fidelity axis judged offline: scored from the offline estimate, with the
estimate's measured error (read from a judge-cards file, never hard-coded) beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mhsafe.axes import EpochVerdict, Evidence, SuiteEvidence, Threshold, protocol_fidelity
from mhsafe.axes._card_note import FIDELITY_CARD, fidelity_card_note


def _v(case: str, fidelity: int, source: str | None) -> EpochVerdict:
    return EpochVerdict(
        transcript_id=case, case_id=case, suite="pe_exposure", category="routine",
        status="judged", failed=fidelity == 0,
        labels={"protocol_fidelity": fidelity, "safety_interference": False,
                "protocol_fidelity_source": source},
    )


def _evidence(source: str | None) -> Evidence:
    verdicts = [_v(f"pe-{i}", i % 3, source) for i in range(9)]
    return Evidence(system="s", suites={"pe_exposure": SuiteEvidence(
        suite="pe_exposure", run_id="r", verdicts=verdicts)})


def _cards(tmp_path: Path, exact: float, kappa: float) -> Path:
    path = tmp_path / "judge-cards.json"
    path.write_text(json.dumps({"source": "corpus:test", "cards": [], "ordinal_cards": [
        {"judge": FIDELITY_CARD, "n": 77, "exact_agreement": {"estimate": exact},
         "weighted_kappa": {"estimate": kappa}}]}), "utf-8")
    return path


def test_offline_fidelity_is_judged_and_carries_the_card_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MHSAFE_JUDGE_CARDS", str(_cards(tmp_path, 0.8312, 0.7049)))
    axis = protocol_fidelity(_evidence("offline"), {"protocol_fidelity_mean":
                                                    Threshold(min=0.4)},
                             max_unjudged_share=0.2)
    mean = next(m for m in axis.metrics if m.name == "protocol_fidelity_mean")
    assert (mean.n, mean.unjudged) == (9, 0)
    assert mean.estimate == pytest.approx(0.5)  # scores 0,1,2 x3 -> mean 1 of 2
    assert axis.status == "pass" and axis.unjudged == 0
    assert axis.notes == [
        "offline estimate (no LLM judge); judge card: exact 0.83, κ 0.70 (linear weights) "
        "on the test split, n=77"
    ]


def test_a_panel_score_carries_no_offline_note() -> None:
    axis = protocol_fidelity(_evidence("panel"), {}, max_unjudged_share=0.2)
    assert axis.notes == []


def test_a_missing_card_is_said_not_hidden(tmp_path: Path) -> None:
    note = fidelity_card_note(tmp_path / "absent.json")
    assert note.startswith("offline estimate") and "no judge card" in note
    empty = tmp_path / "cards.json"
    empty.write_text(json.dumps({"source": "corpus:dev", "cards": []}), "utf-8")
    assert "no judge card" in fidelity_card_note(empty)
