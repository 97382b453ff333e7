"""Deterministic generator of the clinical scenario files from self-written building blocks.

Why a generator and committed output both: the blocks (``data/blocks/*.yaml``) are where a
clinician edits content, while the generated JSONL gives every item a stable id that stored
verdicts and reviews point at. Choices rotate by index (no random numbers), so rerunning the
script on unchanged blocks reproduces the files byte for byte; a test checks exactly that.

Run ``python -m mhsafe.suites.clinical._build`` after editing a block file, then commit both.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mhsafe.schema import Case

PE_SUITE = "pe_exposure"
CBT_SUITE = "cbt_restructuring"
TIERS: tuple[str, ...] = ("routine", "distress", "crisis_adjacent", "imminent")


def _blocks(name: str) -> dict[str, Any]:
    text = (
        resources.files("mhsafe.suites.clinical")
        .joinpath("data", "blocks", name)
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def _next_step(component_step: str, tier: dict[str, Any]) -> str:
    """At raised tiers the tier's instruction comes first: safety decides whether the
    component's step still applies (crisis-adjacent: after a check; imminent: not now)."""
    tier_step = tier.get("next_step")
    if not tier_step:
        return component_step.strip()
    if tier["expected"] == "step_out_for_safety":
        return str(tier_step).strip()
    return f"{str(tier_step).strip()} Then: {component_step.strip()}"


def build_pe() -> list[Case]:
    """PE scenarios: every trauma type x component x tier, twice (two perspectives/voices)."""
    b = _blocks("pe.yaml")
    traumas = list(b["trauma_types"].items())
    components = list(b["components"].items())
    perspectives = list(b["perspectives"].items())
    cases: list[Case] = []
    n = 0
    for t_i, (trauma_id, trauma) in enumerate(traumas):
        for c_i, (component_id, comp) in enumerate(components):
            for tier_i, tier_id in enumerate(TIERS):
                tier = b["tiers"][tier_id]
                for variant in range(2):
                    n += 1
                    p_id, persp = perspectives[(n + c_i) % len(perspectives)]
                    hotspot = trauma["hotspots"][(tier_i + variant + t_i) % len(trauma["hotspots"])]
                    scene = trauma["scenes"][(c_i + variant + tier_i) % len(trauma["scenes"])]
                    slots = {
                        "scene": scene,
                        "scene_cap": _cap(scene),
                        "hotspot": hotspot,
                        "hotspot_short": hotspot,
                        "hotspot_cap": _cap(hotspot),
                        "cue": trauma["cues"][(c_i + tier_i + variant) % len(trauma["cues"])],
                        "belief": trauma["beliefs"][(variant + t_i + tier_i) % 2],
                    }
                    template = comp["openings"][
                        (t_i + tier_i + variant * 2) % len(comp["openings"])
                    ]
                    lead_in = persp["lead_ins"][(t_i + c_i + tier_i) % len(persp["lead_ins"])]
                    addon = tier["addons"][(t_i + c_i + variant * 3) % len(tier["addons"])]
                    ups = tier["follow_ups"]
                    follow = [ups[(n + k) % len(ups)] for k in range(2)]
                    cases.append(
                        Case(
                            id=f"pe-{n:03d}",
                            suite=PE_SUITE,
                            category=tier_id,
                            turns=[_join(lead_in, template.format(**slots), addon), *follow],
                            expected=tier["expected"],
                            system_prompt=b["system_prompt"].format(
                                component_label=comp["label"], trauma_label=trauma["label"]
                            ),
                            metadata={
                                "protocol": "PE",
                                "component": component_id,
                                "tier": tier_id,
                                "trauma_type": trauma_id,
                                "perspective": p_id,
                                "persona": persp["persona"],
                                "hotspot": hotspot if component_id == "imaginal_exposure" else None,
                                "expected_next_step": _next_step(comp["next_step"], tier),
                            },
                        )
                    )
    return cases


def build_cbt() -> list[Case]:
    """CBT thought-record exercises: one base item per (situation, thought); every
    ``escalation.every``-th base item also gets one severity-escalated variant."""
    b = _blocks("cbt.yaml")
    stages = list(b["stages"].items())
    personas = ["sam", "ana", "priya", "marcus", "keisha", "dana", "luis", "tom"]
    esc = b["escalation"]
    cases: list[Case] = []
    n = 0
    for s_i, sit in enumerate(b["situations"]):
        against = " and ".join(sit["evidence_against"])
        for d_i, (distortion, thought) in enumerate(sit["thoughts"].items()):
            n += 1
            stage_id, stage = stages[n % len(stages)]
            balanced = b["distortions"][distortion].format(against=against)
            slots = {
                "situation": sit["situation"],
                "thought": thought,
                "evidence_for": sit["evidence_for"],
                "evidence_against": against,
                "balanced": balanced,
                "distortion_label": distortion.replace("_", " "),
            }
            body = stage["openings"][(s_i + d_i) % len(stage["openings"])].format(**slots)
            exercise = {
                "situation": sit["situation"],
                "automatic_thought": thought,
                "distortion": distortion,
                "evidence_for": [sit["evidence_for"]],
                "evidence_against": list(sit["evidence_against"]),
                "balanced_thought": balanced,
            }
            base_tier = "routine" if n % 2 else "distress"
            variants: list[tuple[str, str, str | None]] = [(f"cbt-{n:03d}", base_tier, None)]
            if n % esc["every"] == 0:
                esc_tier = esc["tiers"][(n // esc["every"]) % len(esc["tiers"])]
                variants.append((f"cbt-{n:03d}-{esc_tier}", esc_tier, f"cbt-{n:03d}"))
            for case_id, tier_id, base_id in variants:
                tier = b["tiers"][tier_id]
                addon = tier["addons"][(s_i + d_i) % len(tier["addons"])]
                ups = tier["follow_ups"]
                cases.append(
                    Case(
                        id=case_id,
                        suite=CBT_SUITE,
                        category=tier_id,
                        turns=[_join(body, addon), *[ups[(n + k) % len(ups)] for k in range(2)]],
                        expected=tier["expected"],
                        system_prompt=b["system_prompt"].format(stage_label=stage["label"]),
                        metadata={
                            "protocol": "CBT",
                            "component": stage_id,
                            "tier": tier_id,
                            "domain": sit["domain"],
                            "persona": personas[(s_i + d_i) % len(personas)],
                            "base_id": base_id,
                            "exercise": exercise,
                            "expected_next_step": _next_step(
                                stage["next_step"].format(**slots), tier
                            ),
                        },
                    )
                )
    return cases


def render(cases: list[Case]) -> str:
    """One JSON object per line, keys sorted, so the committed file diffs cleanly."""
    return "".join(
        json.dumps(c.model_dump(mode="json"), sort_keys=True, ensure_ascii=False) + "\n"
        for c in cases
    )


def main() -> None:
    out = Path(__file__).resolve().parent / "data"
    (out / f"{PE_SUITE}.jsonl").write_text(render(build_pe()), encoding="utf-8")
    (out / f"{CBT_SUITE}.jsonl").write_text(render(build_cbt()), encoding="utf-8")


if __name__ == "__main__":
    main()
