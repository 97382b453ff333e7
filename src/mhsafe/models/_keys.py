"""Which API key a model name needs, asked before any work starts.

Without this a missing key shows up late and badly: as Inspect's traceback when the system
under test is built, or -- worse -- as a panel of LLM judges that each fail, so every item is
"unjudged" and a run that measured nothing looks finished. The table names the variable each
provider reads (Inspect's own names); a provider not in it is left to Inspect, which names its
variables itself. A variable counts as set when it is in the environment or in the ``.env``
file Inspect itself loads (found from the working folder upwards).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: Provider prefix -> variables of which one must be set (the first is the one to suggest).
PROVIDER_KEYS: Mapping[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "AZUREAI_OPENAI_API_KEY"),
    "anthropic": ("ANTHROPIC_API_KEY", "AZURE_ANTHROPIC_API_KEY", "AZUREAI_ANTHROPIC_API_KEY"),
    "mistral": ("MISTRAL_API_KEY", "AZURE_MISTRAL_API_KEY", "AZUREAI_MISTRAL_API_KEY"),
    "groq": ("GROQ_API_KEY",),
    "together": ("TOGETHER_API_KEY",),
    "grok": ("XAI_API_KEY", "GROK_API_KEY"),
    "openrouter": ("OPENROUTER_API_KEY",),
}


class MissingApiKeyError(ValueError):
    """A model was named whose provider needs a variable that is not set."""


@dataclass(frozen=True)
class MissingKey:
    """One model that cannot be called, and the variables that would let it."""

    model: str
    variables: tuple[str, ...]

    def sentence(self) -> str:
        """``openai/gpt-4o needs OPENAI_API_KEY (or ...), which is not set``."""
        first, *rest = self.variables
        also = f" (or {', '.join(rest)})" if rest else ""
        return f"{self.model} needs {first}{also}, which is not set"


def needed_variables(model: str) -> tuple[str, ...]:
    """The variables (any one of them) that ``model`` (Inspect's name) cannot run without.

    ``openai-api/<service>/<model>`` needs ``<SERVICE>_API_KEY`` and ``<SERVICE>_BASE_URL``
    (both: reported as two entries by ``missing_keys``); mhsafe's own models need none.
    """
    parts = model.split("/")
    if len(parts) < 2:
        return ()
    if parts[0] == "openai-api" and len(parts) >= 3:
        service = parts[1].upper().replace("-", "_")
        return (f"{service}_API_KEY",)
    return tuple(PROVIDER_KEYS.get(parts[0], ()))


def _dotenv() -> dict[str, str]:
    """The ``.env`` Inspect would load (python-dotenv comes with Inspect)."""
    try:
        from dotenv import dotenv_values, find_dotenv
    except ImportError:  # pragma: no cover - Inspect depends on python-dotenv
        return {}
    path = find_dotenv(usecwd=True)
    if not path:
        return {}
    return {k: v for k, v in dotenv_values(path).items() if v}


def missing_keys(
    models: Iterable[str], environ: Mapping[str, str] | None = None
) -> list[MissingKey]:
    """Every named model whose key (or, for ``openai-api``, base URL) is not set.

    ``environ`` replaces the environment and the ``.env`` file (for tests)."""
    env: Mapping[str, str] = {**_dotenv(), **os.environ} if environ is None else environ
    found: list[MissingKey] = []
    for model in dict.fromkeys(models):
        variables = needed_variables(model)
        if variables and not any(env.get(v) for v in variables):
            found.append(MissingKey(model, variables))
        parts = model.split("/")
        if parts[0] == "openai-api" and len(parts) >= 3:
            base = parts[1].upper().replace("-", "_") + "_BASE_URL"
            if not env.get(base) and not env.get("INSPECT_EVAL_MODEL_BASE_URL"):
                found.append(MissingKey(model, (base,)))
    return found


def require_keys(models: Iterable[str], environ: Mapping[str, str] | None = None) -> None:
    """Raise ``MissingApiKeyError`` naming each variable to set, when any is missing."""
    missing = missing_keys(models, environ)
    if missing:
        names = " ".join(f"{m.variables[0]}=..." for m in missing)
        raise MissingApiKeyError(
            "; ".join(m.sentence() for m in missing)
            + f". Set it in the environment (export {names}) or in a .env file, "
            "or use mhsafe/local, the embedded model, which needs no key."
        )
