"""Exporting the corpus: Hugging Face dataset folder, spaCy DocBin, or flat CSV."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from newpower_nlp._io import atomic_write_text
from newpower_nlp.corpus import load_corpus, load_dataframe, load_dataset_dict
from newpower_nlp.labels import LABELS

__all__ = ["EXPORT_FORMATS", "export_corpus"]

EXPORT_FORMATS = ("hf", "spacy", "csv")


def export_corpus(fmt: str, output: str | Path, corpus_dir: str | Path | None = None
                  ) -> list[Path]:
    """Export the corpus; return the paths written.

    - ``hf``: ``datasets.DatasetDict.save_to_disk`` folder (arrow, loadable with
      ``load_from_disk``) plus ``data/{split}.parquet`` (loadable with
      ``load_dataset("parquet", ...)``);
    - ``spacy``: ``{split}.spacy`` DocBins with ``doc.cats`` and the evidence spans in
      ``doc.spans["evidence"]``, usable with ``spacy train``;
    - ``csv``: one flat file, one 0/1 column per label.
    """
    output = Path(output)
    if fmt == "csv":
        path = output if output.suffix == ".csv" else output / "corpus.csv"
        atomic_write_text(path, load_dataframe(corpus_dir).to_csv(index=False))
        return [path]
    if fmt == "hf":
        dsd = load_dataset_dict(corpus_dir)
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=output.parent))
        dsd.save_to_disk(str(tmp / "arrow"))
        (tmp / "data").mkdir()
        for split, ds in dsd.items():
            ds.to_parquet(str(tmp / "data" / f"{split}.parquet"))
        if output.exists():
            shutil.rmtree(output)
        tmp.rename(output)
        return [output / "arrow", *(output / "data" / f"{s}.parquet" for s in dsd)]
    if fmt == "spacy":
        import spacy
        from spacy.tokens import DocBin

        nlp = spacy.blank("en")
        output.mkdir(parents=True, exist_ok=True)
        written = []
        for split, records in load_corpus(corpus_dir).items():
            db = DocBin(store_user_data=False)
            for rec in records:
                doc = nlp.make_doc(rec.text)
                doc.cats = {n: float(rec.cats.get(n, 0)) for n in LABELS}
                spans = [doc.char_span(s.start, s.end, label=s.label, alignment_mode="expand")
                         for s in rec.spans]
                doc.spans["evidence"] = [s for s in spans if s is not None]
                db.add(doc)
            path = output / f"{split}.spacy"
            tmp = path.with_suffix(".spacy.tmp")
            db.to_disk(tmp)
            tmp.replace(path)
            written.append(path)
        return written
    raise ValueError(f"unknown export format {fmt!r}")
