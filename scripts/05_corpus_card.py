#!/usr/bin/env python3
"""Regenerate the statistics section of the dataset card (corpus/README.md).

The section between the markers `<!-- stats:start -->` and `<!-- stats:end -->` is
rewritten from the corpus files, and the SHA-256 of the frozen test split between
`<!-- test-sha256:start -->` and `<!-- test-sha256:end -->`; tests/test_real_corpus.py
checks that both match the corpus.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from newpower_nlp._io import atomic_write_text
from newpower_nlp.corpus import load_corpus, split_files
from newpower_nlp.persist import sha256_file
from newpower_nlp.stats import corpus_stats, stats_markdown

ROOT = Path(__file__).resolve().parent.parent


def replace_block(text: str, name: str, body: str) -> str:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    pattern = re.compile(rf"(<!-- {name}:start -->).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"markers for {name!r} not found")
    return pattern.sub(lambda m: f"{m.group(1)}\n{body}\n{m.group(2)}", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=str(ROOT / "corpus"))
    args = parser.parse_args(argv)
    card = Path(args.corpus) / "README.md"
    text = card.read_text(encoding="utf-8")
    text = replace_block(text, "stats", stats_markdown(corpus_stats(load_corpus(args.corpus))))
    text = replace_block(text, "test-sha256",
                         f"`{sha256_file(split_files(args.corpus)['test'])}`")
    atomic_write_text(card, text)
    print(f"updated {card}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
