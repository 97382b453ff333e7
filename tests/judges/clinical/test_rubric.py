"""Clinical rubric files: one per criterion group, versioned, joined for one call."""

from __future__ import annotations

from mhsafe.judges import LLMJudge, build_prompt
from mhsafe.judges.clinical import GROUPS, ClinicalJudgeOutput, clinical_rubric, load_group
from mhsafe.schema import Message, Transcript


def test_groups_load_and_cover_every_criterion_once() -> None:
    names = [c.name for g in GROUPS for c in load_group(g).criteria]
    assert sorted(names) == sorted(ClinicalJudgeOutput.model_fields)
    for g in GROUPS:
        assert load_group(g).version and len(load_group(g).paraphrases) >= 5


def test_joined_rubric_is_one_call_with_six_phrasings() -> None:
    rubric = clinical_rubric()
    assert [c.name for c in rubric.criteria] == list(ClinicalJudgeOutput.model_fields)
    assert rubric.version == "quality-1+failure_patterns-1+safety-1"
    texts = {rubric.phrasing(k) for k in range(6)}
    assert len(texts) == 6
    judge = LLMJudge("mockllm/model", rubric, ClinicalJudgeOutput, max_tokens=64, timeout_s=5)
    prompt = build_prompt(
        judge.rubric,
        Transcript(id="t", messages=[Message(role="user", content="SUDS 60")]),
        phrasing=5,
        max_chars=400,
    )
    assert all(f'"{c}"' in prompt[0].content for c in ClinicalJudgeOutput.model_fields)
