"""mhsafe.safeguard: layered safeguards around any chat model, served as an OpenAI-compatible
proxy (``mhsafe proxy``).

Layers, each on/off in :class:`SafeguardConfig` and each decision logged by rule id:
input risk screen (the audit's ``RiskScreen``, optionally an LLM), crisis response and crisis
mode (resources from the crisis-line registry for the user's locale), protocol awareness
(exercise distress does not trigger a crisis script; current risk does), output check (harm
blocked and rewritten, unverified numbers stripped), and logging in the audit's JSONL format,
redacted with the audit's ``redact``. See docs/safeguard.md.
"""

from mhsafe.safeguard._app import BadRequest, create_proxy_app, parse_messages
from mhsafe.safeguard._assess import Assessment, Assessor, LLMRiskAssessment
from mhsafe.safeguard._config import (
    CrisisConfig,
    InputScreenConfig,
    LogConfig,
    OutputCheckConfig,
    ProtocolConfig,
    SafeguardConfig,
)
from mhsafe.safeguard._decision import SafeguardDecision
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
    "check_reply",
    "compact_log",
    "conversation_id",
    "create_proxy_app",
    "fill",
    "load_protocol_cues",
    "load_responses",
    "make_upstream",
    "parse_messages",
]
