"""Which screen settings an audit runs with, when they come from several places.

Precedence, lowest first: the audit's defaults (``AUDIT_SCREEN_DEFAULTS``), then the
``--screen-config`` YAML, then the flags that name one setting (``--no-embeddings``,
``--embedding-threshold``): the more specific a setting's source, the more it wins. Written
once here so that the CLI, the Python API and a resumed audit (whose screen is pinned in the
checkpoint) cannot each decide it differently. The file is checked against ``ScreenConfig``
before the audit starts, so a typo in a key stops the run instead of being ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mhsafe.audit._pipeline import AUDIT_SCREEN_DEFAULTS


class ScreenConfigError(ValueError):
    """The screen configuration file cannot be used; the message names it."""


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ScreenConfigError(f"--screen-config {path}: cannot read ({why})") from None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ScreenConfigError(f"--screen-config {path}{where}: not valid YAML") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ScreenConfigError(f"--screen-config {path}: wants a mapping of ScreenConfig "
                                f"fields, got a {type(loaded).__name__}")
    return {str(k): v for k, v in loaded.items()}


def screen_settings(
    config_file: Path | None = None,
    *,
    embeddings: bool = True,
    embedding_threshold: float | None = None,
) -> dict[str, Any]:
    """The screen settings for an audit: defaults < ``config_file`` < the two flags.

    ``embeddings=False`` turns the embedding stage off (lexicon only); a given
    ``embedding_threshold`` replaces the file's. Raises ``ScreenConfigError`` for a file that
    cannot be read or holds a key or value ``ScreenConfig`` refuses."""
    from mhsafe.judges.screen import ScreenConfig

    settings: dict[str, Any] = dict(AUDIT_SCREEN_DEFAULTS)
    if config_file is not None:
        settings.update(_read_yaml(config_file))
    if not embeddings:
        settings["embedding"] = False
    if embedding_threshold is not None:
        settings["embedding_threshold"] = embedding_threshold
    try:
        ScreenConfig(**settings)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        source = f"--screen-config {config_file}" if config_file else "screen settings"
        raise ScreenConfigError(f"{source}: {problems}") from None
    return settings
