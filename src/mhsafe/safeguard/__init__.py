"""mhsafe.safeguard: layered safeguards around any chat model, served as an OpenAI-compatible
proxy (``mhsafe proxy``).

Layers, each on/off in :class:`SafeguardConfig` and each decision logged by rule id:
input risk screen (the audit's ``RiskScreen``, optionally an LLM), crisis response and crisis
mode (every risk turn's reply held to the audit's intervention policy, resources from the
crisis-line registry for the user's locale), protocol awareness (exercise distress does not
trigger a crisis script; current risk does), output check (harm blocked and rewritten,
unverified numbers stripped), and logging in the audit's JSONL format, redacted with
``mhsafe.redact`` (the audit's redaction too). Requests are read with the one OpenAI-message
adapter (``mhsafe.openai_chat``); crisis state is keyed per client and conversation
(``_state``). Clients authenticate with bearer keys; an open proxy binds loopback only.
See docs/safeguard.md.
"""

from mhsafe.safeguard._app import BadRequest, create_proxy_app, parse_messages
from mhsafe.safeguard._assess import Assessment, Assessor, LLMRiskAssessment
from mhsafe.safeguard._auth import AuthError, KeyCheck, check_bind, is_loopback, load_keys
from mhsafe.safeguard._config import (
    AuthConfig,
    CrisisConfig,
    InputScreenConfig,
    LogConfig,
    OutputCheckConfig,
    ProtocolConfig,
    SafeguardConfig,
)
from mhsafe.safeguard._decision import SafeguardDecision
from mhsafe.safeguard._exercise import exercise_safety_verdict
from mhsafe.safeguard._guard import GuardedTurn, Safeguard
from mhsafe.safeguard._log import ConversationLog, compact_log
from mhsafe.safeguard._output import CheckedReply, check_reply
from mhsafe.safeguard._protocol import ProtocolCues, load_protocol_cues
from mhsafe.safeguard._responses import fill, load_responses
from mhsafe.safeguard._state import CrisisModes, CrisisState, conversation_id
from mhsafe.safeguard._upstream import (
    CallableUpstream,
    InspectUpstream,
    OpenAIUpstream,
    Upstream,
    UpstreamError,
    make_upstream,
)

__all__ = [
    "Assessment",
    "Assessor",
    "AuthConfig",
    "AuthError",
    "BadRequest",
    "CallableUpstream",
    "CheckedReply",
    "ConversationLog",
    "CrisisConfig",
    "CrisisModes",
    "CrisisState",
    "GuardedTurn",
    "InputScreenConfig",
    "InspectUpstream",
    "KeyCheck",
    "LLMRiskAssessment",
    "LogConfig",
    "OpenAIUpstream",
    "OutputCheckConfig",
    "ProtocolConfig",
    "ProtocolCues",
    "Safeguard",
    "SafeguardConfig",
    "SafeguardDecision",
    "Upstream",
    "UpstreamError",
    "check_bind",
    "check_reply",
    "compact_log",
    "conversation_id",
    "create_proxy_app",
    "exercise_safety_verdict",
    "fill",
    "is_loopback",
    "load_keys",
    "load_protocol_cues",
    "load_responses",
    "make_upstream",
    "parse_messages",
]
