"""mhsafe.models: the one way to reach a model.

* `get_model(name, max_tokens=..., timeout_s=...)` - an Inspect model with budgets always set;
  names as Inspect spells them (`mhsafe/local`, `openai/gpt-4o`, `openai-api/<svc>/<model>`).
* `generate_text` / `generate_json` / `generate_structured` - plain and schema-constrained
  calls over `mhsafe.schema.Message`; structured calls return None (never raise) on bad output.
* `LocalServer` / `ensure_local_server()` - the embedded Gemma 3 270M on llama.cpp, in a child
  process that dies with its owner; `MHSAFE_LOCAL_BASE_URL` points at a running one instead.
* `model_file()` - the verified GGUF in the mhsafe cache (`$MHSAFE_CACHE`).
* `mhsafe/instruct-local` - Qwen2.5-Coder-1.5B-Instruct (optional extra `mhsafe[instruct]`):
  `InstructServer` / `ensure_instruct_server()` (`MHSAFE_INSTRUCT_BASE_URL` overrides), its
  hash-pinned weights `instruct_model_file()`; the simulated patient and the local LLM judge.

The Inspect provider `mhsafe/local` lives in `mhsafe.models._provider` and is registered by
the `inspect_ai` entry point (`mhsafe._registry`).

Names are resolved lazily (PEP 562): importing Inspect costs about two CPU-seconds, which
`mhsafe serve-local` and other server-only users should not pay.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._get import (
        StructuredResult,
        generate_json,
        generate_structured,
        generate_text,
        get_model,
        to_chat_messages,
    )
    from ._instruct_file import (
        INSTRUCT_SHA256,
        InstructModelError,
        instruct_available,
        instruct_model_file,
    )
    from ._instruct_server import (
        INSTRUCT_BASE_URL_ENV,
        InstructServer,
        ensure_instruct_server,
        instruct_settings,
    )
    from ._keys import MissingApiKeyError, missing_keys, require_keys
    from ._local_server import (
        BASE_URL_ENV,
        LocalServer,
        LocalServerError,
        LocalServerSettings,
        default_threads,
        ensure_local_server,
        normalize_base_url,
        serve_local_forever,
    )
    from ._model_file import MODEL_FILENAME, MODEL_SHA256, cache_dir, model_file
    from ._schema import response_schema_for, tight_json_schema

LOCAL_MODEL = "mhsafe/local"
INSTRUCT_MODEL = "mhsafe/instruct-local"

_HOMES = {
    "._get": (
        "StructuredResult",
        "generate_json",
        "generate_structured",
        "generate_text",
        "get_model",
        "to_chat_messages",
    ),
    "._instruct_file": (
        "INSTRUCT_SHA256",
        "InstructModelError",
        "instruct_available",
        "instruct_model_file",
    ),
    "._instruct_server": (
        "INSTRUCT_BASE_URL_ENV",
        "InstructServer",
        "ensure_instruct_server",
        "instruct_settings",
    ),
    "._local_server": (
        "BASE_URL_ENV",
        "LocalServer",
        "LocalServerError",
        "LocalServerSettings",
        "default_threads",
        "ensure_local_server",
        "normalize_base_url",
        "serve_local_forever",
    ),
    "._keys": ("MissingApiKeyError", "missing_keys", "require_keys"),
    "._model_file": ("MODEL_FILENAME", "MODEL_SHA256", "cache_dir", "model_file"),
    "._schema": ("response_schema_for", "tight_json_schema"),
}
_WHERE = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "BASE_URL_ENV",
    "INSTRUCT_BASE_URL_ENV",
    "INSTRUCT_MODEL",
    "INSTRUCT_SHA256",
    "LOCAL_MODEL",
    "MODEL_FILENAME",
    "MODEL_SHA256",
    "InstructModelError",
    "InstructServer",
    "LocalServer",
    "LocalServerError",
    "LocalServerSettings",
    "MissingApiKeyError",
    "StructuredResult",
    "cache_dir",
    "default_threads",
    "ensure_instruct_server",
    "ensure_local_server",
    "generate_json",
    "generate_structured",
    "generate_text",
    "get_model",
    "instruct_available",
    "instruct_model_file",
    "instruct_settings",
    "missing_keys",
    "model_file",
    "normalize_base_url",
    "require_keys",
    "response_schema_for",
    "serve_local_forever",
    "tight_json_schema",
    "to_chat_messages",
]
