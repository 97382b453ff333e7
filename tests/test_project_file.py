"""`mhsafe.yaml` is read by every command, with the precedence the docs state:
flag > environment variable > mhsafe.yaml > built-in default. `mhsafe init` writes a commented
file that loads as it is; a bad file stops every command (exit 2) except `init`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from mhsafe._project_file import TEMPLATE, ProjectFileError, load_project
from mhsafe.cli import app
from mhsafe.store import Store
from tests.scripted import responsive_model

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean folder as the working directory, no MHSAFE_* variables, a scripted model."""
    monkeypatch.chdir(tmp_path)
    for var in ("MHSAFE_DB", "MHSAFE_PROJECT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(
        "mhsafe.suites._runner.get_model",
        lambda *_a, **_k: responsive_model(lambda _m: "Please call or text 988 now."),
    )
    return tmp_path


def _write(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / "mhsafe.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _runs(url: str) -> list[Any]:
    return Store(url).list_runs()


def test_file_sets_store_limit_and_options_and_flags_override_it(project: Path) -> None:
    file_db = f"sqlite:///{project / 'file.db'}"
    _write(project, {"store": file_db, "models": ["mockllm/model"], "suites": ["suicide_risk"],
                     "limit": 2, "seed": 5, "log_dir": "logs",
                     "commands": {"eval": {"max-tokens": 12}}})
    from_file = runner.invoke(app, ["eval"])
    assert from_file.exit_code == 0, from_file.output
    (run,) = _runs(file_db)
    assert (run.name, run.model) == ("suicide_risk", "mockllm/model")
    assert (run.config["limit"], run.config["limit_seed"], run.config["max_tokens"]) == (2, 5, 12)
    assert (project / "logs").is_dir()  # log_dir relative to the file

    flag_db = f"sqlite:///{project / 'flag.db'}"
    flagged = runner.invoke(app, ["eval", "over_refusal", "--limit", "3", "--max-tokens", "9",
                                  "--db", flag_db])
    assert flagged.exit_code == 0, flagged.output
    (run,) = _runs(flag_db)
    assert (run.name, run.config["limit"], run.config["max_tokens"]) == ("over_refusal", 3, 9)
    assert run.config["limit_seed"] == 5  # what the flags did not say still comes from the file


def test_the_environment_outranks_the_file_and_a_flag_outranks_both(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file_db, env_db, flag_db = (f"sqlite:///{project / n}" for n in ("f.db", "e.db", "x.db"))
    for url, name in ((file_db, "in-file"), (env_db, "in-env"), (flag_db, "in-flag")):
        Store(url).create_run("eval", "suicide_risk", config={"run_name": name})
    _write(project, {"store": file_db})

    def listed(*args: str) -> str:
        result = runner.invoke(app, ["runs", *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert "in-file" in listed()
    monkeypatch.setenv("MHSAFE_DB", env_db)
    assert "in-env" in listed() and "in-file" not in listed()
    out = listed("--db", flag_db)
    assert "in-flag" in out and "in-env" not in out


def test_every_suite_times_every_model_when_eval_rests_on_the_file(project: Path) -> None:
    db = f"sqlite:///{project / 'm.db'}"
    _write(project, {"store": db, "models": ["mockllm/a", "mockllm/b"],
                     "suites": ["suicide_risk", "over_refusal"], "limit": 2})
    result = runner.invoke(app, ["eval", "--max-tokens", "8"])
    assert result.exit_code == 0, result.output
    pairs = sorted((r.name, r.model) for r in _runs(db))
    assert pairs == [("over_refusal", "mockllm/a"), ("over_refusal", "mockllm/b"),
                     ("suicide_risk", "mockllm/a"), ("suicide_risk", "mockllm/b")]
    one = runner.invoke(app, ["eval", "suicide_risk", "--model", "mockllm/c"])
    assert one.exit_code == 0, one.output
    assert len(_runs(db)) == 5  # explicit suite and model: exactly one run


def test_report_and_gate_read_thresholds_and_systems_from_the_file(project: Path) -> None:
    db = f"sqlite:///{project / 'g.db'}"
    _write(project, {"store": db, "models": ["sys-a"], "thresholds": "missing.yaml"})
    result = runner.invoke(app, ["gate"])
    assert result.exit_code != 0
    assert "missing.yaml" in str(result.exception) + result.output  # the file's path was used


def test_unknown_keys_and_options_are_refused(project: Path) -> None:
    _write(project, {"modle": "x"})
    bad_key = runner.invoke(app, ["runs"])
    assert bad_key.exit_code == 2 and "modle" in bad_key.output
    _write(project, {"commands": {"eval": {"max-tokenz": 3}}})
    bad_option = runner.invoke(app, ["suites", "--json"])
    assert bad_option.exit_code == 2
    assert "commands.eval.max-tokenz" in bad_option.output
    _write(project, {"commands": {"evaluate": {}}})
    bad_command = runner.invoke(app, ["suites"])
    assert bad_command.exit_code == 2 and "evaluate" in bad_command.output
    (project / "mhsafe.yaml").write_text("limit: [1, 2\n", encoding="utf-8")
    bad_yaml = runner.invoke(app, ["suites"])
    assert bad_yaml.exit_code == 2 and "not valid YAML" in bad_yaml.output


def test_init_writes_a_commented_file_that_loads(project: Path) -> None:
    (project / "mhsafe.yaml").write_text("nonsense: 1\n", encoding="utf-8")
    refused = runner.invoke(app, ["init"])
    assert refused.exit_code == 2 and "--force" in refused.output
    written = runner.invoke(app, ["init", "--force"])  # a broken file does not block init
    assert written.exit_code == 0, written.output
    text = (project / "mhsafe.yaml").read_text(encoding="utf-8")
    assert text == TEMPLATE and text.count("\n#") >= 10
    loaded = load_project(project / "mhsafe.yaml")
    assert loaded.models == ["mhsafe/local"] and loaded.suites == ["suicide_risk"]
    assert loaded.store == "sqlite:///mhsafe.db" and loaded.judges == []
    assert runner.invoke(app, ["suites", "--json"]).exit_code == 0


def test_mhsafe_project_names_a_file_elsewhere(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = project / "conf"
    elsewhere.mkdir()
    path = _write(elsewhere, {"thresholds": "limits.yaml"})
    monkeypatch.setenv("MHSAFE_PROJECT", str(path))
    assert load_project(path).thresholds == str(elsewhere / "limits.yaml")
    monkeypatch.setenv("MHSAFE_PROJECT", str(project / "nope.yaml"))
    result = runner.invoke(app, ["suites"])
    assert result.exit_code == 2 and "MHSAFE_PROJECT" in result.output


def test_wrong_types_name_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path, {"limit": 0, "models": "one-string"})
    with pytest.raises(ProjectFileError) as caught:
        load_project(path)
    assert "limit" in str(caught.value) and "models" in str(caught.value)
