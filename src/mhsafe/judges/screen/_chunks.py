"""Split a long turn into pieces the encoder can read whole.

MiniLM reads 256 word pieces (about 1,000 characters of English) and silently drops the rest, so
a disclosure at the end of a long post was never seen; averaging a long post into one vector
would dilute it instead. A turn is therefore cut at sentence ends into chunks of at most
``max_chars`` characters (a sentence longer than that is cut between words), each chunk is
embedded on its own, and the turn scores as its riskiest chunk.
"""

from __future__ import annotations

from mhsafe.judges._patterns import split_sentences

#: About 150-200 word pieces of English: inside the encoder's window with room for long words.
CHUNK_CHARS = 700


def _split_long(sentence: str, max_chars: int) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for word in sentence.split():
        if current and size + len(word) + 1 > max_chars:
            pieces.append(" ".join(current))
            current, size = [], 0
        current.append(word[:max_chars])
        size += len(word) + 1
    if current:
        pieces.append(" ".join(current))
    return pieces


def chunk_text(text: str, max_chars: int = CHUNK_CHARS) -> list[str]:
    """Consecutive sentence groups of at most ``max_chars`` characters, in order; a short turn
    is one chunk, unchanged."""
    if len(text) <= max_chars:
        return [text]
    chunks: list[str] = []
    current = ""
    for start, end in split_sentences(text):
        sentence = text[start:end].strip()
        for piece in _split_long(sentence, max_chars) if len(sentence) > max_chars else [sentence]:
            if current and len(current) + 1 + len(piece) > max_chars:
                chunks.append(current)
                current = piece
            else:
                current = f"{current} {piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks or [text[:max_chars]]


__all__ = ["CHUNK_CHARS", "chunk_text"]
