#!/usr/bin/env python3
"""Inter-annotator agreement of the corpus' two independent annotation passes.

Reads corpus/agreement/first_pass.jsonl (the writers' labels, before adjudication) and
corpus/agreement/second_pass.jsonl (the independent annotator, who saw only the
guidelines and the texts) and writes corpus/agreement/agreement.json: per-label Cohen's
kappa, overall Krippendorff's alpha, and compass agreement. Prints a table.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from newpower_nlp._io import atomic_write_text
from newpower_nlp.agreement import agreement, format_agreement, read_pass

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default=str(ROOT / "corpus" / "agreement"))
    args = parser.parse_args(argv)
    folder = Path(args.dir)
    result = agreement(read_pass(folder / "first_pass.jsonl"),
                       read_pass(folder / "second_pass.jsonl"))
    atomic_write_text(folder / "agreement.json", json.dumps(result, indent=2) + "\n")
    print("\n".join(format_agreement(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
