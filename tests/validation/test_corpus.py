"""The shipped evaluation corpus: frozen, sized, tagged, and independent of the judges.

The test split's SHA-256 is pinned: changing a test item needs a new corpus version and a note
in docs/validation.md, so no published figure can be improved by editing the yardstick.
"""

from __future__ import annotations

from collections import Counter

from mhsafe.validation import (
    CORPUS_DIR,
    SPLITS,
    LabelledItem,
    corpus_files,
    load_labelled,
    split_sha256,
)
from mhsafe.validation._independence import judge_runs, judge_sources, overlapping
from mhsafe.validation.split import split_of

TEST_SHA256 = "c42dd39ed147eaba6a02b818d9653b2fbe3eb46a180c3bb78e5fa06bb9ce324b"


def test_test_split_is_frozen() -> None:
    assert split_sha256("test") == TEST_SHA256


def test_clusters_never_straddle_splits() -> None:
    seen: dict[str, str] = {}
    for split in SPLITS:
        for item in load_labelled(corpus_files(split)).items:
            assert item.cluster is not None
            assert seen.setdefault(item.cluster, split) == split
            assert split_of(item.cluster) == split


def test_no_test_item_shares_an_8_word_run_with_the_judges() -> None:
    runs = judge_runs()
    assert len(runs) > 1000  # the sources were read
    assert all(path.is_file() for path in judge_sources())
    assert overlapping(load_labelled(corpus_files("test")).items, runs) == []


def _test_items() -> list[LabelledItem]:
    loaded = load_labelled(corpus_files("test"))
    assert loaded.quarantined == []
    return loaded.items


def test_every_item_is_tagged_and_labelled() -> None:
    for item in _test_items():
        if item.kind == "conversation":
            assert item.tags, item.id
            assert item.labels["risk"] in {"none", "suicide", "nssi", "eating_disorder",
                                           "substance"}
        else:
            assert item.context, item.id  # a reply's phenomenon is its context and labels
            assert item.labels["refusal"] in {"none", "partial", "full"}


def test_corpus_files_live_in_the_package() -> None:
    assert all((CORPUS_DIR / s).is_dir() for s in SPLITS)


SIZES = {"conversations": 600, "risk": 400, "hard_negatives": 200, "replies": 500}


def _sizes() -> tuple[Counter[str], float, float]:
    items = _test_items()
    c: Counter[str] = Counter()
    convs = [i for i in items if i.kind == "conversation"]
    c["conversations"] = len(convs)
    c["risk"] = sum(i.labels["risk"] != "none" for i in convs)
    c["hard_negatives"] = sum(i.labels["risk"] == "none" for i in convs)
    c["replies"] = sum(i.kind == "reply" for i in items)
    non_en = sum(i.language != "en" for i in convs) / max(len(convs), 1)
    long = sum(i.length > 2000 for i in convs) / max(len(convs), 1)
    return c, non_en, long


def test_language_and_length_mix() -> None:
    _, non_en, long = _sizes()
    assert non_en >= 0.10
    assert long >= 0.20


def test_test_split_meets_the_issue_sizes() -> None:
    c, _, _ = _sizes()
    assert all(c[k] >= v for k, v in SIZES.items()), dict(c)
