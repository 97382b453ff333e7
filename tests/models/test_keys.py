"""Which key a model name needs, checked before any work: Inspect's own variable names,
`openai-api/<svc>` needing both `<SVC>_API_KEY` and `<SVC>_BASE_URL`, mhsafe's models none,
and a `.env` file counting as set (Inspect loads it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mhsafe.models import MissingApiKeyError, missing_keys, require_keys


def test_needed_keys_by_provider() -> None:
    env: dict[str, str] = {}
    assert missing_keys(["mhsafe/local", "mhsafe/instruct-local", "hf/x", "ollama/y"], env) == []
    assert [(m.model, m.variables) for m in missing_keys(
        ["anthropic/c", "openai-api/my-svc/m", "openai-api/my-svc/m"], env)] == [
        ("anthropic/c", ("ANTHROPIC_API_KEY", "AZURE_ANTHROPIC_API_KEY",
                         "AZUREAI_ANTHROPIC_API_KEY")),
        ("openai-api/my-svc/m", ("MY_SVC_API_KEY",)),
        ("openai-api/my-svc/m", ("MY_SVC_BASE_URL",)),
    ]
    assert missing_keys(["openai/gpt-4o"], {"AZURE_OPENAI_API_KEY": "k"}) == []
    assert missing_keys(["openai-api/my-svc/m"],
                        {"MY_SVC_API_KEY": "k", "MY_SVC_BASE_URL": "http://x"}) == []
    assert missing_keys(["openai/gpt-4o"], {"OPENAI_API_KEY": ""})[0].model == "openai/gpt-4o"


def test_require_keys_says_what_to_set() -> None:
    with pytest.raises(MissingApiKeyError) as caught:
        require_keys(["groq/llama"], {})
    assert str(caught.value) == (
        "groq/llama needs GROQ_API_KEY, which is not set. Set it in the environment (export "
        "GROQ_API_KEY=...) or in a .env file, or use mhsafe/local, the embedded model, which "
        "needs no key.")
    require_keys(["groq/llama"], {"GROQ_API_KEY": "k"})


def test_a_dotenv_file_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TOGETHER_API_KEY", raising=False)
    assert len(missing_keys(["together/m"])) == 1
    (tmp_path / ".env").write_text("TOGETHER_API_KEY=abc\n", encoding="utf-8")
    assert missing_keys(["together/m"]) == []
