"""Can the endpoints a command will call be reached at all? Asked once, before any work starts.

An OpenAI-compatible server that is down, or a base URL with a typo, otherwise shows up as a
run that sits silent while Inspect retries with exponential backoff for minutes. Each model a
command names (`--model`, `--judge`, `--patient`, `--upstream`, ...) whose base URL is
configured is tried with one TCP connect bounded by a connect timeout
(``$MHSAFE_CONNECT_TIMEOUT`` seconds, default 5); a refusal, a timeout or a name that does not
resolve stops the command with a message that names the model, the URL and the variable it
came from. A model whose base URL is not configured is left to its provider (which names the
missing variable itself); a server that accepts connections but answers slowly is the retry
policy's business, not this check's.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Seconds one connect attempt may take (override: $MHSAFE_CONNECT_TIMEOUT).
DEFAULT_CONNECT_TIMEOUT = 5.0
TIMEOUT_ENV = "MHSAFE_CONNECT_TIMEOUT"

#: mhsafe's own providers and the variable that points them at a running server.
_OWN = {
    "mhsafe/local": "MHSAFE_LOCAL_BASE_URL",
    "mhsafe/instruct-local": "MHSAFE_INSTRUCT_BASE_URL",
}


#: Hosted providers' public endpoints, probed when the provider's key is set and no base URL
#: overrides them (without a key the provider's own "set <KEY>" message comes first).
_HOSTED = {
    "openai": ("https://api.openai.com/v1", "OPENAI_API_KEY"),
    "anthropic": ("https://api.anthropic.com", "ANTHROPIC_API_KEY"),
    "google": ("https://generativelanguage.googleapis.com", "GOOGLE_API_KEY"),
    "mistral": ("https://api.mistral.ai", "MISTRAL_API_KEY"),
    "groq": ("https://api.groq.com", "GROQ_API_KEY"),
    "together": ("https://api.together.xyz", "TOGETHER_API_KEY"),
}


@dataclass(frozen=True)
class Endpoint:
    """Where a model will be reached, and which variable said so."""

    model: str
    url: str
    source: str
    hint: str = ""

    def advice(self) -> str:
        """What to do when it cannot be reached."""
        return self.hint or f"Start the server or correct {self.source}."


def endpoint_of(model: str, environ: dict[str, str] | None = None) -> Endpoint | None:
    """The configured base URL of a model name in Inspect's convention, or None.

    `openai-api/<service>/<model>` reads `<SERVICE>_BASE_URL` (upper case, `-` as `_`); any
    other `<provider>/<model>` reads `<PROVIDER>_BASE_URL` when it is set, else a hosted
    provider's public URL when its key is set; `mhsafe/local` and `mhsafe/instruct-local`
    read their `MHSAFE_*_BASE_URL`.
    """
    env = os.environ if environ is None else environ
    for prefix, var in _OWN.items():
        if model == prefix or model.startswith(prefix + "/"):
            return Endpoint(model, env[var], var) if env.get(var) else None
    parts = model.split("/")
    if len(parts) < 2:
        return None
    if parts[0] == "openai-api" and len(parts) >= 3:
        var = parts[1].upper().replace("-", "_") + "_BASE_URL"
    else:
        var = parts[0].upper().replace("-", "_") + "_BASE_URL"
    if env.get(var):
        return Endpoint(model, env[var], var)
    if parts[0] == "openai-api":
        url = env.get("INSPECT_EVAL_MODEL_BASE_URL")
        return Endpoint(model, url, "INSPECT_EVAL_MODEL_BASE_URL") if url else None
    hosted = _HOSTED.get(parts[0])
    if hosted is not None and env.get(hosted[1]):
        return Endpoint(model, hosted[0], f"{parts[0]}'s default URL",
                        f"Check the network, or set {var} to reach it another way.")
    return None


def connect_timeout(environ: dict[str, str] | None = None) -> float:
    """The connect timeout in seconds (a malformed or non-positive value means the default)."""
    raw = (os.environ if environ is None else environ).get(TIMEOUT_ENV)
    try:
        value = float(raw) if raw else DEFAULT_CONNECT_TIMEOUT
    except ValueError:
        return DEFAULT_CONNECT_TIMEOUT
    return value if value > 0 else DEFAULT_CONNECT_TIMEOUT


def probe(url: str, timeout: float) -> str | None:
    """None when a TCP connection to the URL's host and port opens within `timeout` seconds;
    otherwise why not, in words."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "its port is not a number"
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return None
    except TimeoutError:
        return f"no answer within {timeout:g}s (connect timeout)"
    except ConnectionRefusedError:
        return "connection refused (is the server running on that port?)"
    except socket.gaierror:
        return f"the host name {parts.hostname!r} does not resolve"
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def unreachable(models: Iterable[str], environ: dict[str, str] | None = None) -> list[str]:
    """One message per configured endpoint that cannot be reached (each URL tried once)."""
    timeout = connect_timeout(environ)
    problems: list[str] = []
    seen: dict[str, str | None] = {}
    for model in dict.fromkeys(models):
        endpoint = endpoint_of(model, environ)
        if endpoint is None:
            continue
        if endpoint.url not in seen:
            seen[endpoint.url] = probe(endpoint.url, timeout)
        why = seen[endpoint.url]
        if why is not None:
            problems.append(
                f"cannot reach {endpoint.model} at {endpoint.url} (from {endpoint.source}): "
                f"{why}. {endpoint.advice()}"
            )
    return problems
