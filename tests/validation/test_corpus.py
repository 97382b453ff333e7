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
from mhsafe.validation.split import SUPPLEMENT_SOURCES, cluster_hash, split_of

TEST_SHA256 = "c42dd39ed147eaba6a02b818d9653b2fbe3eb46a180c3bb78e5fa06bb9ce324b"


def test_test_split_is_frozen() -> None:
    assert split_sha256("test") == TEST_SHA256


def test_clusters_never_straddle_splits() -> None:
    seen: dict[str, str] = {}
    for split in SPLITS:
        for path in corpus_files(split):
            for item in load_labelled([path]).items:
                assert item.cluster is not None
                assert seen.setdefault(item.cluster, split) == split
                assert split_of(item.cluster, source=path.stem) == split


def test_supplements_reach_train_and_dev_only() -> None:
    assert not {p.stem for p in corpus_files("test")} & SUPPLEMENT_SOURCES
    shipped = {p.stem for s in ("train", "dev") for p in corpus_files(s)} & SUPPLEMENT_SOURCES
    assert "reply_refusal_harm" in shipped
    for source in SUPPLEMENT_SOURCES:
        names = {split_of(f"X-c{i:04d}", source=source) for i in range(400)}
        assert names == {"train", "dev"}
    # the same stable cluster hash as v1, cut at 0.75
    for cluster in (f"X-c{i:04d}" for i in range(400)):
        expected = "train" if cluster_hash(cluster) < 0.75 else "dev"
        assert split_of(cluster, source="reply_refusal_harm") == expected


def test_every_source_has_its_authors_note_and_manifest_entry() -> None:
    import json

    manifest = json.loads((CORPUS_DIR / "MANIFEST.json").read_text("utf-8"))
    sources = {p.stem for s in SPLITS for p in corpus_files(s)}
    assert sources == set(manifest["sources"])
    for source in sources:
        assert (CORPUS_DIR / "authors" / f"{source}.md").is_file(), source
        kept = sum(len(load_labelled([p]).items) for s in SPLITS for p in corpus_files(s)
                   if p.stem == source)
        if manifest["sources"][source].get("supplement"):
            assert kept == manifest["sources"][source]["kept"], source
    for split in ("train", "dev"):
        assert manifest["splits"][split]["sha256"] == split_sha256(split)


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
