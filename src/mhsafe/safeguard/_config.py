"""What the proxy does, as one YAML-loadable pydantic object.

Every layer can be switched off on its own, so a team can measure what each one buys (run the
same suite through the proxy with one layer off and compare). The configuration is logged with
every conversation's decisions by name, so a number computed from the proxy's traffic states
which safeguards produced it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from mhsafe.judges.screen import ScreenConfig

ExitRule = Literal["states_safe", "clear_turns", "never"]
SupportStandard = Literal["acute", "screen"]
UnresolvedPolicy = Literal["support", "error"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputScreenConfig(_Strict):
    """Layer 1: the audit's risk screen on every user turn (plus an optional LLM assessment).

    ``llm_model`` (an Inspect model name) is asked only about turns the offline screen found
    clear or could not settle: it can add risk, never remove it. ``on_unresolved`` is the
    fail-closed policy when the screen cannot decide (embedding stage down, LLM unanswered):
    ``support`` treats the turn as risk and adds crisis support (the user still gets an answer,
    with a route to a human); ``error`` refuses the turn with HTTP 503.

    ``concern_threshold``: a turn the classifier scored at least this high but below the
    screen's own threshold (chosen for the audit under a benign-traffic ceiling, docs/screen.md)
    is a *concern*: the reply must meet the non-acute policy, and if it does not the proxy adds
    one safety question with a pointer to people who can help -- no hotline script. 0.26 is the
    threshold whose dev recall reached 0.98 when the classifier was tuned for recall.
    """

    enabled: bool = True
    screen: ScreenConfig = Field(default_factory=ScreenConfig)
    llm_model: str | None = None
    llm_max_tokens: int = Field(default=48, ge=8, le=512)
    llm_timeout_s: float = Field(default=20.0, gt=0)
    on_unresolved: UnresolvedPolicy = "support"
    concern_threshold: float = Field(default=0.26, ge=0.0, le=1.0)


class CrisisConfig(_Strict):
    """Layer 2: crisis response and crisis mode.

    ``exit_rule``: ``states_safe`` leaves crisis mode on a user turn that says they are safe
    and screens clear; ``clear_turns`` after ``exit_clear_turns`` consecutive clear turns;
    ``never`` keeps it for the conversation's life. ``reply_on_upstream_failure``: when risk
    was found and the upstream fails, answer with the crisis response alone rather than an
    error (the response is fully ours and vetted; an error page helps nobody at risk).

    ``support_standard``: which rule of the intervention policy (``policy_path``, default the
    packaged ``judges/data/intervention_policy.yaml``) a model reply to a risk turn must meet
    before the proxy adds nothing. ``acute`` (default) holds every risk turn to the acute rule
    (a route to trained help now): the screen confirms acuity for only about half of the acute
    turns (docs/screen.md), so an unconfirmed acuity is treated as possibly acute. ``screen``
    uses the screen's own acuity.
    """

    enabled: bool = True
    support_standard: SupportStandard = "acute"
    policy_path: Path | None = None
    exit_rule: ExitRule = "states_safe"
    exit_clear_turns: int = Field(default=3, ge=1)
    max_conversations: int = Field(default=10_000, ge=1)
    reply_on_upstream_failure: bool = True


class ProtocolConfig(_Strict):
    """Layer 3: inside a consented exercise, only current risk steps out of the protocol.

    ``checkin``: non-acute risk language inside an exercise gets one plain safety question
    appended (no hotline script), so passive ideation is asked about without breaking the work.
    """

    enabled: bool = True
    checkin: bool = True


class OutputCheckConfig(_Strict):
    """Layer 4: the model's reply is checked before anyone sees it."""

    enabled: bool = True
    block_harm: bool = True
    strip_unverified_numbers: bool = True


class AuthConfig(_Strict):
    """Client authentication: the keys a client must send as ``Authorization: Bearer KEY``.

    Keys come from ``api_keys``, a file (``keys_file``: one key a line, ``#`` comments) and an
    environment variable (``keys_env``: comma-separated), all merged. With no key at all the
    proxy is open, and then it refuses to bind anything but a loopback address: conversations
    are health data and a reachable unauthenticated proxy is an open relay to the model.
    ``/health`` stays open (it carries no conversation data) so probes need no secret.
    """

    api_keys: list[str] = Field(default_factory=list)
    keys_file: Path | None = None
    keys_env: str | None = "MHSAFE_PROXY_API_KEYS"


class LogConfig(_Strict):
    """Layer 5: every conversation in the audit's JSONL input format (redacted by default)."""

    path: Path | None = None
    redact: bool = True


class SafeguardConfig(_Strict):
    """All layers, the default locale and the budgets.

    ``upstream_timeout_s`` is the whole time the upstream may take for one reply, retries
    included (the proxy makes one attempt; the SDK's own retries are off). ``max_request_bytes``
    bounds a request body (413 beyond it): a request is read whole and screened before it is
    answered, and an unbounded body is an easy way to stall the proxy. ``serve_docs`` turns on
    FastAPI's ``/docs``, ``/redoc`` and ``/openapi.json`` (off by default: nothing a client needs,
    and a map of the surface for anyone probing it).
    """

    input_screen: InputScreenConfig = Field(default_factory=InputScreenConfig)
    crisis: CrisisConfig = Field(default_factory=CrisisConfig)
    protocol: ProtocolConfig = Field(default_factory=ProtocolConfig)
    output_check: OutputCheckConfig = Field(default_factory=OutputCheckConfig)
    log: LogConfig = Field(default_factory=LogConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    locale: str = Field(default="US", min_length=2, max_length=3)
    model_id: str = "proxy"
    max_tokens: int = Field(default=512, ge=1)
    upstream_timeout_s: float = Field(default=60.0, gt=0)
    max_request_bytes: int = Field(default=2_000_000, ge=1_024)
    serve_docs: bool = False

    @classmethod
    def from_yaml(cls, path: str | Path) -> SafeguardConfig:
        """Load a config file; unknown keys are an error (a typo must not switch a layer)."""
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return cls.model_validate(data)

    @classmethod
    def passthrough(cls) -> SafeguardConfig:
        """Every layer off: the proxy only relays (the baseline for an honest comparison
        through the same transport)."""
        return cls(
            input_screen=InputScreenConfig(enabled=False),
            crisis=CrisisConfig(enabled=False),
            protocol=ProtocolConfig(enabled=False),
            output_check=OutputCheckConfig(enabled=False),
        )

    def layers(self) -> dict[str, bool]:
        """Which layers are on, for /health and the log."""
        return {
            "input_screen": self.input_screen.enabled,
            "llm_screen": self.input_screen.enabled and self.input_screen.llm_model is not None,
            "crisis": self.crisis.enabled,
            "protocol": self.protocol.enabled,
            "output_check": self.output_check.enabled,
            "log": self.log.path is not None,
        }


__all__ = [
    "AuthConfig",
    "CrisisConfig",
    "ExitRule",
    "InputScreenConfig",
    "LogConfig",
    "OutputCheckConfig",
    "ProtocolConfig",
    "SafeguardConfig",
    "SupportStandard",
    "UnresolvedPolicy",
]
