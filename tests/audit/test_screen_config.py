"""The audit's screen settings: defaults < --screen-config < the one-setting flags, and a
file that cannot be used is refused before the audit starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from mhsafe.audit import AUDIT_SCREEN_DEFAULTS, ScreenConfigError, screen_settings


def test_precedence_defaults_then_file_then_flags(tmp_path: Path) -> None:
    assert screen_settings() == AUDIT_SCREEN_DEFAULTS
    config = tmp_path / "screen.yaml"
    config.write_text("embedding_threshold: 0.4\nembed_gate: all\n", encoding="utf-8")
    assert screen_settings(config) == {**AUDIT_SCREEN_DEFAULTS, "embedding_threshold": 0.4,
                                       "embed_gate": "all"}
    assert screen_settings(config, embeddings=False, embedding_threshold=0.7) == {
        **AUDIT_SCREEN_DEFAULTS, "embedding_threshold": 0.7, "embed_gate": "all",
        "embedding": False}
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert screen_settings(empty) == AUDIT_SCREEN_DEFAULTS


@pytest.mark.parametrize(("text", "message"), [
    ("embeding_threshold: 0.4\n", "embeding_threshold: Extra inputs are not permitted"),
    ("embedding_threshold: 4\n", "embedding_threshold: Input should be less than or equal to 1"),
    ("- a\n- b\n", "wants a mapping of ScreenConfig fields, got a list"),
    ("a: [\n", "line 2: not valid YAML"),
])
def test_a_bad_file_is_refused(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "screen.yaml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ScreenConfigError, match=message.replace("[", r"\[")):
        screen_settings(config)
    with pytest.raises(ScreenConfigError, match="cannot read"):
        screen_settings(tmp_path / "missing.yaml")
