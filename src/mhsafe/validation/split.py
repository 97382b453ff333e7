"""Assign whole phenomenon clusters to train/dev/test (run once per corpus version).

    python -m mhsafe.validation.split STAGE_DIR [STAGE_DIR ...] --out src/mhsafe/validation/data
    python -m mhsafe.validation.split --supplement STAGE_DIR ... --out src/mhsafe/validation/data

A cluster goes to one split by a stable hash of its id (salted with the corpus version), so
variants of one situation never straddle splits and a re-run reproduces the assignment.
Shares: test 55%, dev 15%, train 30% (see ``BANDS``). A test item that shares an 8-word
run with a judge source is left out (ids in ``excluded_for_overlap.json``).

**Supplements.** Sources written after v1's test split was frozen (``SUPPLEMENT_SOURCES``) are
assigned by the same cluster hash, but only to train (75%) and dev (25%) (``SUPPLEMENT_BANDS``):
a frozen yardstick cannot grow without a new version, and every published figure stays
comparable. ``--supplement`` writes only ``train/`` and ``dev/`` files for its stages, never a
``test/`` file (an empty one would change the pinned digest) and never the overlap report.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

from mhsafe.validation._corpus import SPLITS
from mhsafe.validation._independence import judge_runs, word_runs

VERSION = "v1"
#: Bands of the cluster hash in [0, 1): test takes [0, 0.50) and [0.95, 1), dev [0.50, 0.65),
#: train [0.65, 0.95). The last test band was added before v1 was frozen to reach the issue's
#: reply count; it comes from train (never read item by item), not from dev (tuned on).
BANDS: tuple[tuple[float, float, str], ...] = (
    (0.00, 0.50, "test"), (0.50, 0.65, "dev"), (0.65, 0.95, "train"), (0.95, 1.00, "test"),
)


#: Sources added after v1 was frozen: train and dev only, by the same hash.
SUPPLEMENT_SOURCES: frozenset[str] = frozenset(
    {"reply_refusal_harm", "clinical_replies_b", "reply_styles_c", "clinical_replies_d"})
SUPPLEMENT_BANDS: tuple[tuple[float, float, str], ...] = (
    (0.00, 0.75, "train"), (0.75, 1.00, "dev"),
)


def cluster_hash(cluster: str, version: str = VERSION) -> float:
    """The stable position of a cluster id in [0, 1)."""
    return int(hashlib.sha256(f"{version}:{cluster}".encode()).hexdigest()[:12], 16) / 16**12


def split_of(cluster: str, version: str = VERSION, source: str | None = None) -> str:
    """The split of one cluster id; ``source`` (the stage folder, i.e. the corpus file's stem)
    selects the supplement bands for sources added after the freeze."""
    bands = SUPPLEMENT_BANDS if source in SUPPLEMENT_SOURCES else BANDS
    h = cluster_hash(cluster, version)
    for low, high, name in bands:
        if low <= h < high:
            return name
    return bands[-1][2]


def _text(record: dict[str, Any]) -> str:
    parts = [str(m.get("content", "")) for m in record.get("messages", []) if isinstance(m, dict)]
    return " ".join(parts) + " " + str(record.get("reply") or "")


def stage_lines(stage: Path) -> list[str]:
    """The non-empty JSONL lines of one stage folder, files in name order."""
    return [line for path in sorted(stage.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def write_supplement(stage: Path, out: Path) -> dict[str, int]:
    """Split one supplement stage into ``out/train`` and ``out/dev`` (see the module doc);
    refuses a stage not listed in ``SUPPLEMENT_SOURCES``, so no source can reach test here."""
    if stage.name not in SUPPLEMENT_SOURCES:
        raise ValueError(f"{stage.name}: not a supplement source (add it to "
                         "SUPPLEMENT_SOURCES first)")
    rows: dict[str, list[str]] = {"train": [], "dev": []}
    for line in stage_lines(stage):
        record = json.loads(line)
        rows[split_of(record["cluster"], source=stage.name)].append(line)
    for name, lines in rows.items():
        target = out / name / f"{stage.name}.jsonl"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
        print(f"{stage.name}: {name} {len(lines)} (supplement)")
    return {name: len(lines) for name, lines in rows.items()}


def split_stats(split: str) -> dict[str, Any]:
    """The MANIFEST.json counts of one shipped split (train or dev: a supplement never
    re-reads the frozen test split)."""
    from mhsafe.validation._corpus import corpus_files, split_sha256
    from mhsafe.validation._items import load_labelled

    if split == "test":
        raise ValueError("the test split's manifest entry is frozen with it")
    items = load_labelled(corpus_files(split)).items
    convs = [i for i in items if i.kind == "conversation"]
    return {
        "items": len(items),
        "conversations": len(convs),
        "risk": sum(i.labels.get("risk") != "none" for i in convs),
        "hard_negatives": sum(i.labels.get("risk") == "none" for i in convs),
        "acute": sum(i.labels.get("acute") is True for i in convs),
        "non_english_conversations": sum(i.language != "en" for i in convs),
        "long_conversations": sum(i.length > 2000 for i in convs),
        "replies": sum(i.kind == "reply" for i in items),
        "clusters": len({i.cluster for i in items}),
        "sha256": split_sha256(split),
    }


def record_supplement(out: Path, source: str, counts: dict[str, int]) -> None:
    """Note one supplement source and the new train/dev counts in ``out/MANIFEST.json``."""
    path = out / "MANIFEST.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["sources"][source] = {
        "kept": sum(counts.values()), "dropped_schema_errors": 0, "supplement": True,
        "train": counts.get("train", 0), "dev": counts.get("dev", 0),
    }
    manifest["sources"] = dict(sorted(manifest["sources"].items()))
    for split in ("train", "dev"):
        manifest["splits"][split] = split_stats(split)
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("stages", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--supplement", action="store_true",
                        help="stages added after the freeze: train/dev only, test untouched")
    args = parser.parse_args()
    if args.supplement:
        for stage in args.stages:
            record_supplement(args.out, stage.name, write_supplement(stage, args.out))
        return
    runs = judge_runs()
    excluded: list[str] = []
    for stage in args.stages:
        rows: dict[str, list[str]] = {name: [] for name in SPLITS}
        for path in sorted(stage.glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").split("\n"):
                if not line.strip():
                    continue
                record = json.loads(line)
                split = split_of(record["cluster"])
                if split == "test" and word_runs(_text(record)) & runs:
                    excluded.append(record["id"])  # independence rule: see _independence.py
                    continue
                rows[split].append(line)
        for name, lines in rows.items():
            target = args.out / name / f"{stage.name}.jsonl"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
            print(f"{stage.name}: {name} {len(lines)}")
    report = args.out / "excluded_for_overlap.json"
    report.write_text(json.dumps(sorted(excluded), indent=1) + "\n", encoding="utf-8")
    print(f"left out of test for sharing an 8-word run with a judge source: {len(excluded)}")


if __name__ == "__main__":
    main()
