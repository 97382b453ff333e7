"""One spelling per flag: old spellings still parse as hidden aliases, and `--help` shows only
the kept one."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mhsafe._cli_group import ALIASES, rewrite_aliases
from mhsafe.cli import app

runner = CliRunner()


def test_rewrite_aliases_handles_both_forms_and_stops_at_double_dash() -> None:
    table = ALIASES["judge"]
    given = ["f", "--timeout", "5", "--concurrency=2", "--", "--timeout"]
    assert rewrite_aliases(given, table) == [
        "f", "--judge-timeout", "5", "--max-connections=2", "--", "--timeout"]


def test_help_shows_only_the_kept_spelling() -> None:
    for command, table in ALIASES.items():
        shown = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert shown.exit_code == 0, shown.output
        for old, new in table.items():
            assert new in shown.output, (command, new)
            assert f"{old} " not in shown.output, (command, old)


def test_old_gate_json_and_judge_timeout_spellings_still_work(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'g.db'}"
    old = runner.invoke(app, ["gate", "--db", db, "--json", str(tmp_path / "old.json")])
    new = runner.invoke(app, ["gate", "--db", db, "--out", str(tmp_path / "new.json")])
    assert old.exit_code == new.exit_code == 1  # no evidence: the gate fails, both ways
    assert json.loads((tmp_path / "old.json").read_text()) == json.loads(
        (tmp_path / "new.json").read_text())
    replies = tmp_path / "in.jsonl"
    replies.write_text('{"id": "a", "messages": [{"role": "user", "content": "I feel low"}], '
                       '"response": "I am sorry. You can call or text 988."}\n', encoding="utf-8")
    judged = runner.invoke(app, ["judge", str(replies), "--out", str(tmp_path / "o.jsonl"),
                                 "--timeout", "5", "--concurrency", "2"])
    assert judged.exit_code == 0, judged.output
    assert json.loads((tmp_path / "o.jsonl").read_text().splitlines()[0])["id"] == "a"


def test_an_unknown_flag_is_still_an_error() -> None:
    result = runner.invoke(app, ["judge", "x.jsonl", "--out", "o", "--timout", "5"])
    assert result.exit_code == 2 and "--timout" in result.output


def _visible_flags() -> dict[str, set[str]]:
    import typer

    from mhsafe._project_file import walk_commands

    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    return {" ".join(path): {o for p in cmd.params if not getattr(p, "hidden", False)
                             for o in p.opts + p.secondary_opts}
            for path, cmd in walk_commands(root)}


def test_no_command_shows_an_old_spelling_and_every_alias_has_a_target() -> None:
    flags = _visible_flags()
    old = {o for table in ALIASES.values() for o in table} - {"--json"}
    assert {c: f & old for c, f in flags.items() if f & old} == {}
    # `--json` is a switch (print JSON) wherever it shows, never a path to write.
    assert sorted(c for c, f in flags.items() if "--json" in f) == ["runs", "suites"]
    for command, table in ALIASES.items():
        assert set(table.values()) <= flags[command], command
        assert not set(table) & flags[command], command
