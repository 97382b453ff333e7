"""`mhsafe validate` end to end: a hand-labelled fixture and review-app exports."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from mhsafe.cli import app
from mhsafe.review import write_export

FIXTURE = Path(__file__).parent / "data" / "labelled_fixture.jsonl"


def _cards(out: Path) -> dict[str, dict[str, Any]]:
    payload = json.loads((out / "judge_cards.json").read_text("utf-8"))
    return {c["judge"]: c for c in payload["cards"]} | {"_": payload}


def test_fixture_cards_have_the_hand_computed_values(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(FIXTURE), "--out", str(tmp_path),
                                      "--lexicon-only"])
    assert result.exit_code == 0, result.output
    cards = _cards(tmp_path)
    assert cards["_"]["n_items"] == 10
    assert cards["_"]["n_quarantined"] == 1  # the truncated last line, named with its line
    assert "labelled_fixture.jsonl:11: invalid_json" in result.output
    screen = cards["screen (lexicon only): risk"]
    assert screen["confusion"]["tp"] + screen["confusion"]["fn"] == 3
    assert screen["specificity"] == {"k": 3, "n": 3, "estimate": 1.0,
                                     "low": screen["specificity"]["low"], "high": 1.0}
    missed = cards["intervention check: missed"]
    assert missed["confusion"] == {"tp": 1, "fp": 0, "tn": 1, "fn": 0,
                                   "undecided_positive": 0, "undecided_negative": 0}
    over = cards["intervention check: over_trigger"]
    assert (over["sensitivity"]["estimate"], over["specificity"]["estimate"]) == (1.0, 1.0)
    refusal = cards["refusal"]
    assert (refusal["sensitivity"]["k"], refusal["sensitivity"]["n"]) == (2, 2)
    assert (refusal["specificity"]["k"], refusal["specificity"]["n"]) == (2, 2)
    md = (tmp_path / "judge_cards.md").read_text("utf-8")
    assert "| refusal | 4 |" in md
    assert "pills" not in md  # ids only, never text


def _export_rows() -> list[dict[str, Any]]:
    base: dict[str, Any] = {"run_id": "r", "reviewer": "ann", "reason": "flagged",
                            "stratum": "lexicon", "created_at": datetime(2026, 1, 2, tzinfo=UTC),
                            "is_resolution": False, "superseded": False, "final": True}
    answers = [  # conversation, judge risk, judge status, clinician risk, support adequate
        ("c1", True, "missed_intervention", True, False),
        ("c2", True, "ok", True, True),
        ("c3", True, "missed_intervention", False, None),
        ("c4", False, "no_risk", True, False),
        ("c5", False, "no_risk", False, None),
    ]
    rows = [
        base | {"adjudication_id": i, "item_id": i, "conversation_id": cid,
                "judge_risk_detected": jr, "judge_status": js, "risk_present": risk,
                "support_adequate": adequate}
        for i, (cid, jr, js, risk, adequate) in enumerate(answers, 1)
    ]
    # A superseded answer must not count: the clinician revised c5 from risk to no risk.
    rows.append(rows[-1] | {"adjudication_id": 9, "risk_present": True, "superseded": True,
                            "final": False})
    return rows


def test_review_exports_become_validation_data(tmp_path: Path) -> None:
    for suffix in ("csv", "parquet"):
        export = tmp_path / f"adjudications.{suffix}"
        write_export(_export_rows(), export)
        out = tmp_path / suffix
        result = CliRunner().invoke(app, ["validate", str(export), "--out", str(out),
                                          "--lexicon-only"])
        assert result.exit_code == 0, result.output
        cards = _cards(out)
        risk = cards["audit screen (as recorded): risk"]
        assert risk["n"] == 5
        assert (risk["sensitivity"]["k"], risk["sensitivity"]["n"]) == (2, 3)
        assert (risk["specificity"]["k"], risk["specificity"]["n"]) == (1, 2)
        missed = cards["audit intervention check (as recorded): missed"]
        # c1 missed & judged missed (tp); c2 adequate & judged ok (tn); c4 missed but the
        # judge saw no risk -> undecided for the check, never a negative.
        assert missed["confusion"] == {"tp": 1, "fp": 0, "tn": 1, "fn": 0,
                                       "undecided_positive": 1, "undecided_negative": 0}


def test_user_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["validate", "--out", str(tmp_path)]).exit_code == 2
    assert runner.invoke(app, ["validate", str(tmp_path / "nope.jsonl"),
                               "--out", str(tmp_path)]).exit_code == 2
    assert runner.invoke(app, ["validate", "--split", "holdout",
                               "--out", str(tmp_path)]).exit_code == 2


def test_the_frozen_test_split_is_carded_with_every_judge(tmp_path: Path) -> None:
    from mhsafe.validation import CORPUS_DIR

    manifest = json.loads((CORPUS_DIR / "MANIFEST.json").read_text("utf-8"))
    result = CliRunner().invoke(app, ["validate", "--split", "test", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    cards = _cards(tmp_path)
    assert cards["_"]["n_items"] == manifest["splits"]["test"]["items"]
    assert cards["_"]["n_quarantined"] == 0
    screen = cards["screen: risk"]  # the shipped cascade, embeddings on
    assert screen["n"] == manifest["splits"]["test"]["conversations"]
    assert screen["positives"] == manifest["splits"]["test"]["risk"]
    for judge in ("screen (lexicon only): risk", "intervention check: missed",
                  "intervention check: over_trigger", "refusal", "refusal (rules only)",
                  "refusal (prefix-match baseline)", "harm enablement",
                  "harm enablement (rules only)"):
        assert cards[judge]["n"] > 50, judge
    assert cards["_"]["labels_without_offline_judge"] == []
    (fidelity,) = cards["_"]["ordinal_cards"]
    assert fidelity["judge"] == "clinical: protocol_fidelity (offline estimate)"
    assert fidelity["n"] > 20 and fidelity["decided"]["estimate"] == 1.0
