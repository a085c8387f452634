"""Derive corpus/rural-community-business/hand-search.jsonl from ../shared/data/rural-corpus.

Keeps the bibliographic facts only (title, other-language title, authors, year, venue, DOI,
URLs, language, keywords, document type, the queries that found each record) and drops the
abstracts, which are the authors' and publishers' text and may not be committed. The run reads
the abstracts from the full records at run time when they are present (the protocol's
``enrich_from``). Usage: ``python tools/derive_hand_search.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "rural-corpus" / "records.jsonl"
TARGET = ROOT / "corpus" / "rural-community-business" / "hand-search.jsonl"
FACTS = (
    "title", "title_alt", "authors", "year", "venue", "doi", "url", "other_urls",
    "language", "keywords", "document_type", "found_by",
)  # fmt: skip


def main() -> int:
    if not SOURCE.is_file():
        sys.stderr.write(f"not found: {SOURCE}\n")
        return 1
    lines = []
    for line in SOURCE.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            rec = json.loads(line)
            lines.append(json.dumps({k: rec.get(k) for k in FACTS if k in rec}, ensure_ascii=False))
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {len(lines)} records to {TARGET.relative_to(ROOT)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
