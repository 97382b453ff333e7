"""`mhsafe gate` exit codes: 0 when every axis passes, 1 on a failed axis (named, with its
margin), 1 when too much is unjudged, 1 for a store with nothing evaluated."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from mhsafe.cli import app
from mhsafe.report import GateDecision, decide_gate, format_gate
from mhsafe.schema import Message, Transcript, Verdict
from mhsafe.store import Store

runner = CliRunner()


def _gate(url: str, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["gate", "--db", url, *extra])
    return result.exit_code, result.output


def test_gate_passes_a_fair_system(filled_store_url: str, tmp_path: Path) -> None:
    code, output = _gate(filled_store_url, "--system", "scripted/fair",
                         "--json", str(tmp_path / "gate.json"))
    assert code == 0, output
    assert "PASS" in output
    assert GateDecision.model_validate_json((tmp_path / "gate.json").read_text()).passed


def test_gate_fails_and_says_which_axis_and_by_how_much(filled_store_url: str) -> None:
    code, output = _gate(filled_store_url, "--system", "scripted/unfair")
    assert code == 1
    assert "FAIL" in output
    for axis in ("demographic_robustness", "behavioural_consistency", "crisis_safety"):
        assert f"scripted/unfair · {axis}" in output
    assert "decision_flip_rate" in output and "(by " in output


def test_gate_fails_when_too_much_is_unjudged(filled_store_url: str, tmp_path: Path) -> None:
    source = Path(filled_store_url.removeprefix("sqlite:///"))
    copy = tmp_path / "copy.db"
    shutil.copy(source, copy)
    store = Store(f"sqlite:///{copy}")
    run_id = store.create_run("eval", "harmful_content", model="scripted/fair")
    for i in range(20):
        transcript = Transcript(id=f"{run_id}:u{i}:1", messages=[
            Message(role="user", content="q"), Message(role="assistant", content="a")])
        verdict = Verdict(transcript_id=transcript.id, case_id=f"u{i}", suite="harmful_content",
                          category="x", status="unjudged" if i < 15 else "judged",
                          failed=None if i < 15 else False, reason="panel_below_quorum")
        store.add_result(run_id, transcript, verdict, case_id=f"u{i}", epoch=1)
    store.finish_run(run_id)
    store.close()
    code, output = _gate(f"sqlite:///{copy}", "--system", "scripted/fair")
    assert code == 1
    assert "crisis_safety · unjudged_share" in output


def test_gate_fails_on_an_empty_store(tmp_path: Path) -> None:
    code, output = _gate(f"sqlite:///{tmp_path / 'empty.db'}")
    assert code == 1 and "nothing evaluated" in output


def test_gate_thresholds_file_is_read(filled_store_url: str, tmp_path: Path) -> None:
    strict = tmp_path / "strict.yaml"
    strict.write_text(json.dumps({"max_unjudged_share": 0.2, "axes": {
        "protocol_fidelity": {"protocol_fidelity_mean": {"min": 1.01}}}}))
    code, output = _gate(filled_store_url, "--system", "scripted/fair", "--thresholds",
                         str(strict))
    assert code == 1 and "protocol_fidelity_mean" in output


def test_format_gate_lists_every_failure() -> None:
    decision = decide_gate([])
    assert not decision.passed and decision.exit_code == 1
    assert "nothing evaluated" in format_gate(decision)
