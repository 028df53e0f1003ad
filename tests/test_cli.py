"""The ``newpower`` command line: classify (every input kind and output format), train,
evaluate and corpus export, on a tiny model and the ``tiny_corpus`` fixture."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import make_record, write_jsonl
from typer.testing import CliRunner

from newpower_nlp.api import load_model
from newpower_nlp.cli import app
from newpower_nlp.labels import LABELS
from newpower_nlp.readers import html_to_text

runner = CliRunner()

HTML = """<!DOCTYPE html>
<html>
<head>
<title>Pellmore Trust home</title>
<style>.members-elect { color: red } body { font-family: serif }</style>
</head>
<body>
<h1>About the Pellmore Trust</h1>
<p>Members elect the trustees every year.</p>
<script>var note = "The board of directors decides everything and staff obey orders";</script>
<p>Volunteers run the reading room.</p>
<noscript>Enable scripts to see the Pellmore hierarchy chart.</noscript>
</body>
</html>
"""
HTML_TEXT = ("About the Pellmore Trust\n\nMembers elect the trustees every year.\n\n"
             "Volunteers run the reading room.")
TXT = "Members elect the Dunmere council every spring.\nVolunteers lead the workshop.\n"
MD = "# Notes from Hallow Green\n\nOrders come from the top and the crews obey them.\n"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def docs(tmp_path):
    """A folder of inputs: txt, md (in a subfolder), html (deeper), and files to ignore."""
    root = tmp_path / "docs"
    (root / "sub" / "deep").mkdir(parents=True)
    (root / "a.txt").write_text(TXT, encoding="utf-8")
    (root / "sub" / "b.md").write_text(MD, encoding="utf-8")
    (root / "sub" / "deep" / "c.html").write_text(HTML, encoding="utf-8")
    (root / "ignored.pdf").write_bytes(b"%PDF-1.4 not read")
    (root / "sub" / "ignored.json").write_text('{"text": "not read"}', encoding="utf-8")
    return root


def flat(text: str) -> str:
    """Undo rich's line folding of long paths."""
    return text.replace("\n", "")


def invoke(*args, input=None):
    result = runner.invoke(app, [str(a) for a in args], input=input)
    # typer exits through SystemExit; anything else is a crash
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.output
    return result


def classify_json(model_dir, *args, input=None):
    result = invoke("classify", *args, "--model", model_dir, "--format", "json", input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def check_record(rec, model, text):
    """A JSON output record agrees with classifying ``text`` through the API."""
    want = model.classify(text)
    assert rec["probabilities"] == pytest.approx(want.probabilities)
    assert rec["labels"] == want.labels
    assert rec["compass"] == want.compass
    assert rec["orientation"] == want.orientation
    assert rec["model_version"] == "tiny-test"


# --------------------------------------------------------------------------- classify inputs


def test_classify_text_argument(model_dir, model):
    text = "Members elect the Wexley board and volunteers run the depot."
    (rec,) = classify_json(model_dir, text)
    assert rec["source"] == "<text 1>"
    check_record(rec, model, text)


def test_classify_two_text_arguments_keep_their_order(model_dir, model):
    texts = ["Orders come from the Brannock office.", "Members elect the Brannock board."]
    recs = classify_json(model_dir, *texts)
    assert [r["source"] for r in recs] == ["<text 1>", "<text 2>"]
    for rec, text in zip(recs, texts):
        check_record(rec, model, text)


def test_classify_txt_file(model_dir, model, docs):
    (rec,) = classify_json(model_dir, docs / "a.txt")
    assert rec["source"] == str(docs / "a.txt")
    check_record(rec, model, TXT)


def test_classify_md_file(model_dir, model, docs):
    (rec,) = classify_json(model_dir, docs / "sub" / "b.md")
    assert rec["source"] == str(docs / "sub" / "b.md")
    check_record(rec, model, MD)


def test_html_to_text_drops_script_style_and_noscript():
    text = html_to_text(HTML)
    for hidden in ("board of directors", "var note", "color", "members-elect", "font-family",
                   "hierarchy chart"):
        assert hidden not in text
    assert text.endswith("About the Pellmore Trust\n\nMembers elect the trustees every "
                         "year.\n\nVolunteers run the reading room.")


def test_html_to_text_drops_the_head():
    assert html_to_text(HTML) == HTML_TEXT


def test_html_to_text_blocks_entities_and_case():
    html = "<P>Tom &amp; Jo<br>vote</P><SCRIPT>x = '</div>';</SCRIPT><div>Done&nbsp;now</div>"
    assert html_to_text(html) == "Tom & Jo\n\nvote\n\nDone now"


def test_html_to_text_with_implied_end_of_head():
    html = ("<!DOCTYPE html><html><head><meta charset=utf-8><title>Rookery</title>"
            "<body><p>Members elect the Rookery board.</p></body></html>")
    assert html_to_text(html) == "Members elect the Rookery board."


def test_html_to_text_keeps_the_body_after_an_implied_end_of_head():
    html = ("<!DOCTYPE html><html><head><meta charset=utf-8><title>Rookery</title>"
            "<body><p>Members elect the Rookery board.</p></body></html>")
    assert html_to_text(html).endswith("Members elect the Rookery board.")


def test_classify_html_file_sees_only_visible_text(model_dir, model, docs):
    path = docs / "sub" / "deep" / "c.html"
    (rec,) = classify_json(model_dir, path, "--threshold", "0")
    assert rec["source"] == str(path)
    visible = html_to_text(HTML)
    want = model.classify(visible, threshold=0.0)
    assert rec["probabilities"] == pytest.approx(want.probabilities)
    sentences = [e["sentence"] for items in rec["evidence"].values() for e in items]
    assert sentences
    for sentence in sentences:
        assert sentence in visible
        for hidden in ("board of directors", "var note", "color", "hierarchy chart"):
            assert hidden not in sentence


def test_classify_folder_is_recursive_and_skips_other_suffixes(model_dir, model, docs):
    recs = classify_json(model_dir, docs)
    assert [r["source"] for r in recs] == [str(docs / "a.txt"), str(docs / "sub" / "b.md"),
                                           str(docs / "sub" / "deep" / "c.html")]
    for rec, text in zip(recs, (TXT, MD, html_to_text(HTML))):
        check_record(rec, model, text)


def test_classify_glob(model_dir, docs):
    (docs / "z.txt").write_text("Crews obey the Fallow harbour master.", encoding="utf-8")
    recs = classify_json(model_dir, str(docs / "*.txt"))
    assert [r["source"] for r in recs] == [str(docs / "a.txt"), str(docs / "z.txt")]
    recs = classify_json(model_dir, str(docs / "**" / "*.md"))
    assert [r["source"] for r in recs] == [str(docs / "sub" / "b.md")]


def test_classify_glob_without_match_is_skipped(model_dir, docs):
    result = invoke("classify", str(docs / "*.nothing"), "--model", model_dir, "-f", "json")
    assert result.exit_code == 1
    assert "no files match this pattern" in result.stderr


def test_classify_missing_file_is_skipped(model_dir, docs):
    result = invoke("classify", str(docs / "absent.txt"), docs / "a.txt", "--model", model_dir,
                    "-f", "jsonl")
    assert result.exit_code == 1
    assert f"skipped {docs / 'absent.txt'}: no such file" in result.stderr
    assert len(result.stdout.splitlines()) == 1


@pytest.mark.parametrize("text", ["Who decides here? The members of the Corby club do.",
                                  "Members *really* elect the Corby board.",
                                  "The Corby board [and nobody else] decides."])
def test_classify_text_with_glob_characters(model_dir, model, text):
    (rec,) = classify_json(model_dir, text)
    assert rec["source"] == "<text 1>"
    check_record(rec, model, text)


def test_glob_with_question_mark_still_matches_files(model_dir, docs):
    recs = classify_json(model_dir, str(docs / "?.txt"))
    assert [r["source"] for r in recs] == [str(docs / "a.txt")]


def test_classify_stdin(model_dir, model):
    text = "Members elect the Thornbury council.\nThe crews obey nobody.\n"
    (rec,) = classify_json(model_dir, "-", input=text)
    assert rec["source"] == "<stdin>"
    check_record(rec, model, text)


def test_classify_empty_stdin_is_skipped(model_dir):
    result = invoke("classify", "-", "--model", model_dir, "-f", "json", input="  \n")
    assert result.exit_code == 1
    assert "skipped <stdin>: empty input" in result.stderr


def test_classify_jsonl_with_text_field_and_pass_through(model_dir, model, tmp_path):
    path = tmp_path / "items.jsonl"
    rows = [
        {"id": "p-1", "body": "Members elect the Selworth board.", "org": "Selworth",
         "year": 2021},
        {"id": "p-2", "body": "Orders come from the Selworth office.", "org": "Selworth",
         "tags": ["a", "b"]},
        {"id": "p-3", "text": "no body field here"},
    ]
    write_jsonl(path, rows)
    result = invoke("classify", path, "--text-field", "body", "--model", model_dir,
                    "-f", "json")
    assert result.exit_code == 1  # the third line has no "body"
    assert result.stderr.count("skipped") == 1
    assert f"skipped {path}:3: missing or empty field 'body'" in result.stderr
    recs = json.loads(result.stdout)
    assert [r["source"] for r in recs] == [f"{path}:1", f"{path}:2"]
    assert recs[0]["id"] == "p-1" and recs[0]["org"] == "Selworth" and recs[0]["year"] == 2021
    assert recs[1]["tags"] == ["a", "b"]
    assert "body" not in recs[0]
    check_record(recs[0], model, rows[0]["body"])
    check_record(recs[1], model, rows[1]["body"])


def test_classify_csv_with_text_field_and_pass_through(model_dir, model, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text('ref,content,org\nq1,Members elect the Tarrant board.,Tarrant\n'
                    'q2,"Orders come, as ever, from the Tarrant office.",Tarrant\n',
                    encoding="utf-8")
    result = invoke("classify", path, "--text-field", "content", "--model", model_dir,
                    "-f", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["source"] for r in rows] == [f"{path}:2", f"{path}:3"]
    assert [(r["ref"], r["org"]) for r in rows] == [("q1", "Tarrant"), ("q2", "Tarrant")]
    assert "content" not in rows[0]
    want = model.classify("Orders come, as ever, from the Tarrant office.")
    assert float(rows[1]["p_old_governance"]) == pytest.approx(
        want.probabilities["old_governance"], abs=1e-4)


def test_classify_csv_without_the_text_column(model_dir, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("ref,body\nq1,Members elect the board.\n", encoding="utf-8")
    result = invoke("classify", path, "--model", model_dir, "-f", "csv")
    assert result.exit_code == 1
    assert "no column 'text'" in result.stderr


# --------------------------------------------------------------------------- formats


def test_format_json(model_dir):
    recs = classify_json(model_dir, "Members elect the Pike board.", "Whisk the eggs.")
    assert isinstance(recs, list) and len(recs) == 2
    for rec in recs:
        assert {"source", "probabilities", "labels", "thresholds", "orientation",
                "new_power_score", "compass", "compass_probabilities", "compass_axes",
                "evidence", "model_version"} <= set(rec)
        assert list(rec["probabilities"]) == list(LABELS)
        assert -1 <= rec["new_power_score"] <= 1


def test_format_jsonl(model_dir, model):
    texts = ["Members elect the Pike board.", "Whisk the eggs."]
    result = invoke("classify", *texts, "--model", model_dir, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    recs = [json.loads(line) for line in lines]
    assert [r["source"] for r in recs] == ["<text 1>", "<text 2>"]
    for rec, text in zip(recs, texts):
        check_record(rec, model, text)


def test_format_csv(model_dir, model):
    texts = ["Members elect the Pike board.", "Whisk the eggs."]
    result = invoke("classify", *texts, "--model", model_dir, "-f", "csv")
    assert result.exit_code == 0, result.output
    reader = csv.DictReader(io.StringIO(result.stdout))
    rows = list(reader)
    assert reader.fieldnames == ["source", "labels", "orientation", "new_power_score",
                                 "compass", "compass_model", "compass_values",
                                 *[f"p_{n}" for n in LABELS], "model_version"]
    assert len(rows) == 2
    for row, text in zip(rows, texts):
        want = model.classify(text)
        assert row["labels"] == ";".join(want.labels)
        assert row["orientation"] == want.orientation
        assert row["compass"] == want.compass
        assert float(row["new_power_score"]) == pytest.approx(want.new_power_score)
        for n in LABELS:
            assert float(row[f"p_{n}"]) == pytest.approx(want.probabilities[n], abs=1e-4)


def test_format_table(model_dir):
    result = invoke("classify", "Members elect the Pike board.", "--model", model_dir)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "newpower-nlp" in out
    assert "<text 1>" in out
    assert "orientation" in out and "compass" in out
    assert "Members elect the Pike board." not in out  # no evidence without --explain


def test_table_with_threshold_zero_lists_labels(model_dir):
    result = invoke("classify", "Members elect the Pike board.", "--model", model_dir,
                    "--threshold", "0")
    assert result.exit_code == 0, result.output
    for label in ("new_governance", "old_governance", "platform", "peer_to_peer"):
        assert label in result.stdout
    result = invoke("classify", "Members elect the Pike board.", "--model", model_dir,
                    "--threshold", "1")
    assert result.exit_code == 0, result.output
    assert "old_governance" not in result.stdout


def test_unknown_format_exits_2(model_dir):
    result = invoke("classify", "Members elect the Pike board.", "--model", model_dir,
                    "--format", "xml")
    assert result.exit_code == 2
    assert "unknown --format 'xml'" in result.stderr
    assert result.stdout == ""


def test_output_file_json(model_dir, tmp_path):
    out = tmp_path / "res" / "out.json"
    result = invoke("classify", "Members elect the Pike board.", "Whisk the eggs.",
                    "--model", model_dir, "-f", "json", "--output", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"wrote 2 results to {out}" in flat(result.stderr)
    recs = json.loads(out.read_text(encoding="utf-8"))
    assert [r["source"] for r in recs] == ["<text 1>", "<text 2>"]


def test_output_file_csv(model_dir, tmp_path):
    out = tmp_path / "out.csv"
    result = invoke("classify", "Members elect the Pike board.", "--model", model_dir,
                    "-f", "csv", "-o", out)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 1 and rows[0]["source"] == "<text 1>"


def test_output_file_needs_a_file_format(model_dir, tmp_path):
    out = tmp_path / "out.txt"
    result = invoke("classify", "Members elect the Pike board.", "--model", model_dir,
                    "-o", out)
    assert result.exit_code == 2
    assert not out.exists()


def test_explain_shows_evidence(model_dir, model):
    text = "Members elect the Pike board. Whisk the eggs."
    result = invoke("classify", text, "--model", model_dir, "--explain", "--threshold", "0")
    assert result.exit_code == 0, result.output
    out = result.stdout
    want = model.classify(text, threshold=0.0)
    for label in LABELS:
        assert f"{label} (p={want.probabilities[label]:.2f})" in out
    assert "Members elect the Pike board." in out
    assert "[0:29]" in out
    assert "score" in out


def test_explain_without_labels_says_so(model_dir):
    result = invoke("classify", "Whisk the eggs.", "--model", model_dir, "--explain",
                    "--threshold", "1")
    assert result.exit_code == 0, result.output
    assert "no label predicted" in result.stdout


def test_threshold_zero_and_one(model_dir):
    (rec,) = classify_json(model_dir, "Members elect the Pike board.", "--threshold", "0")
    assert rec["labels"] == list(LABELS)
    assert set(rec["thresholds"].values()) == {0.0}
    (rec,) = classify_json(model_dir, "Members elect the Pike board.", "--threshold", "1")
    assert rec["labels"] == [n for n, p in rec["probabilities"].items() if p >= 1.0]


@pytest.mark.parametrize("value", ["1.5", "-0.1", "high"])
def test_threshold_out_of_range_exits_2(model_dir, value):
    result = invoke("classify", "Members elect the Pike board.", "--model", model_dir,
                    "--threshold", value)
    assert result.exit_code == 2


def test_missing_model_is_one_error_line(tmp_path):
    result = invoke("classify", "Members elect the Pike board.", "--model",
                    tmp_path / "no-model")
    assert result.exit_code == 1
    assert result.stderr.startswith("error:")
    assert "model directory not found" in result.stderr


def test_model_with_a_non_object_meta_is_one_error_line(model_dir, tmp_path):
    import shutil

    broken = tmp_path / "broken-model"
    shutil.copytree(model_dir, broken)
    (broken / "meta.json").write_text("[1, 2]", encoding="utf-8")
    result = invoke("classify", "Members elect the Pike board.", "--model", broken)
    assert result.exit_code == 1
    assert result.stderr.startswith("error:")
    assert "expected a JSON object" in flat(result.stderr)


def test_bad_files_among_good_ones(model_dir, model, docs, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "binary.txt").write_bytes(b"\x00\x01\x02\x03 binary")
    (bad / "empty.txt").write_bytes(b"")
    (bad / "latin1.txt").write_bytes("Caf\u00e9 cr\u00e8me in Sorrento.".encode("latin-1"))
    result = invoke("classify", docs / "a.txt", bad / "binary.txt", bad / "empty.txt",
                    bad / "latin1.txt", docs / "sub" / "b.md", "--model", model_dir,
                    "-f", "json")
    assert result.exit_code == 1
    skipped = [ln for ln in result.stderr.splitlines() if ln.startswith("skipped ")]
    assert skipped == [
        f"skipped {bad / 'binary.txt'}: binary file, not text",
        f"skipped {bad / 'empty.txt'}: empty file: no text to classify",
        f"skipped {bad / 'latin1.txt'}: not UTF-8 text (bad byte at offset 3)",
    ]
    assert "3 document(s) could not be read; 2 classified" in result.stderr
    recs = json.loads(result.stdout)
    assert [r["source"] for r in recs] == [str(docs / "a.txt"), str(docs / "sub" / "b.md")]
    check_record(recs[0], model, TXT)


def test_only_bad_input_exits_1_with_nothing_classified(model_dir, tmp_path):
    (tmp_path / "empty.md").write_text("   \n", encoding="utf-8")
    result = invoke("classify", tmp_path / "empty.md", "--model", model_dir, "-f", "json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "0 classified" in result.stderr


@pytest.mark.slow
def test_real_subprocess_classify(model_dir, docs, tmp_path):
    bad = tmp_path / "broken.txt"
    bad.write_bytes(b"\xff\xfe\x00\x00 binary")
    proc = subprocess.run(
        [sys.executable, "-m", "newpower_nlp.cli", "classify", str(docs), str(bad),
         "--model", str(model_dir), "--format", "jsonl"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("skipped ") == 1
    assert f"skipped {bad}: binary file, not text" in proc.stderr
    recs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["source"] for r in recs] == [str(docs / "a.txt"), str(docs / "sub" / "b.md"),
                                           str(docs / "sub" / "deep" / "c.html")]
    for rec in recs:
        assert set(rec["labels"]) <= set(LABELS)
        assert rec["model_version"] == "tiny-test"


# --------------------------------------------------------------------------- train


def _test_text(corpus: Path) -> str:
    first = (corpus / "test.jsonl").read_text(encoding="utf-8").splitlines()[0]
    return json.loads(first)["text"]


def _labels_csv(path: Path, rows: list[tuple[str, str, list[str]]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "compass", *LABELS])
        for text, compass, labels in rows:
            writer.writerow([text, compass, *[int(n in labels) for n in LABELS]])
    return path


ADD_FORMATS = {
    "corpus": lambda p: write_jsonl(p / "added.jsonl", [
        make_record("a-1", "Neighbours in Larkspur Row vote on every street rule.",
                    {"new_governance": "vote on every street rule"}, compass="crowd"),
        make_record("a-2", "The Dunholm quartermaster keeps the ledgers secret.",
                    {"old_transparency": "keeps the ledgers secret"}, compass="castle"),
    ]),
    "prodigy": lambda p: write_jsonl(p / "added.jsonl", [
        {"text": "Neighbours in Larkspur Row vote on every street rule.",
         "accept": ["new_governance"], "answer": "accept"},
        {"text": "The Dunholm quartermaster keeps the ledgers secret.",
         "accept": ["old_transparency"], "answer": "accept", "compass": "castle"},
        {"text": "A rejected note about the Dunholm tides.", "accept": [], "answer": "reject"},
        {"text": "An ignored note about the Dunholm ferry.", "accept": [], "answer": "ignore"},
    ]),
    "csv": lambda p: _labels_csv(p / "added.csv", [
        ("Neighbours in Larkspur Row vote on every street rule.", "crowd",
         ["new_governance"]),
        ("The Dunholm quartermaster keeps the ledgers secret.", "", ["old_transparency"]),
    ]),
}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", list(ADD_FORMATS))
def test_train_with_added_annotations(fmt, tiny_corpus, model_dir, tmp_path):
    added = ADD_FORMATS[fmt](tmp_path)
    out = tmp_path / "new-model"
    result = invoke("train", "--corpus", tiny_corpus, "--add", added, "--output", out,
                    "--compare", model_dir, "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "training on 3 corpus documents + 2 added" in result.stderr
    assert f"wrote {out}" in flat(result.stdout)
    assert "reference" in result.stdout and "(tiny-test)" in result.stdout
    assert {p.name for p in out.iterdir()} >= {"model.skops", "meta.json", "README.md"}
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["training_data"]["added_documents"] == 2
    assert meta["training_data"]["documents"] == {"train": 5, "dev": 1, "test": 2}
    assert meta["seed"] == 3
    assert meta["params"]["threshold_rule"] == "one_se"
    trained = load_model(out)
    result = trained.classify("Neighbours vote on every street rule.")
    assert set(result.labels) <= set(LABELS)


def test_train_threshold_rule_is_stored_and_checked(tiny_corpus, model_dir, tmp_path):
    out = tmp_path / "strict"
    result = invoke("train", "--corpus", tiny_corpus, "--output", out, "--compare",
                    model_dir, "--threshold-rule", "max_f1")
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["params"]["threshold_rule"] == "max_f1"
    assert load_model(out).classifier.threshold_rule == "max_f1"
    result = invoke("train", "--corpus", tiny_corpus, "--output", tmp_path / "x",
                    "--threshold-rule", "median")
    assert result.exit_code == 2
    assert "unknown --threshold-rule 'median'" in result.stderr
    assert not (tmp_path / "x").exists()


def test_train_invalid_file_lists_every_problem_and_writes_nothing(tiny_corpus, model_dir,
                                                                   tmp_path):
    bad_jsonl = write_jsonl(tmp_path / "bad.jsonl", [
        {"text": "Neighbours in Larkspur Row vote on every street rule.",
         "accept": ["new_governance"], "answer": "accept"},
        '{"text": "a broken line',
        {"text": "The Dunholm warden decides alone.", "accept": ["new_gov"],
         "answer": "accept"},
        {"text": "An undecided Dunholm note.", "accept": [], "answer": "maybe"},
    ])
    bad_csv = tmp_path / "bad.csv"
    with bad_csv.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "compass", *LABELS])
        writer.writerow(["The Ebberly club volunteers run the cafe.", "tower",
                         *[int(n == "new_leadership") for n in LABELS]])
        writer.writerow(["The Ebberly office drafts speeches in private.", "",
                         *[2 if n == "old_transparency" else 0 for n in LABELS]])
    out = tmp_path / "never"
    result = invoke("train", "--corpus", tiny_corpus, "--add", bad_jsonl, "--add", bad_csv,
                    "--output", out, "--compare", model_dir)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    located = [ln.split(": ")[0] for ln in lines if ln.startswith(str(tmp_path))]
    assert located == [f"{bad_jsonl}:2", f"{bad_jsonl}:3", f"{bad_jsonl}:4",
                       f"{bad_csv}:2", f"{bad_csv}:3"]
    assert "unknown label 'new_gov'" in result.stderr
    assert "unknown compass value 'tower'" in result.stderr
    assert "5 problem(s); nothing was trained" in result.stderr
    assert not out.exists()


def test_train_csv_with_missing_label_columns(tiny_corpus, model_dir, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("text,new_governance,extra\nMembers elect the board.,1,x\n",
                    encoding="utf-8")
    out = tmp_path / "never"
    result = invoke("train", "--corpus", tiny_corpus, "--add", path, "--output", out,
                    "--compare", model_dir)
    assert result.exit_code == 1
    assert f"{path}:1: header.extra: unknown label column 'extra'" in result.stderr
    assert f"{path}:1: header: missing label columns: old_governance" in result.stderr
    assert not out.exists()


def test_train_refuses_a_text_from_the_test_split(tiny_corpus, model_dir, tmp_path):
    leaked = "  " + _test_text(tiny_corpus).upper().replace(" ", "   ") + " "
    added = write_jsonl(tmp_path / "leak.jsonl", [
        {"text": "Neighbours in Larkspur Row vote on every street rule.",
         "accept": ["new_governance"], "answer": "accept"},
        {"text": leaked, "accept": ["new_transparency"], "answer": "accept"},
    ])
    out = tmp_path / "never"
    result = invoke("train", "--corpus", tiny_corpus, "--add", added, "--output", out,
                    "--compare", model_dir)
    assert result.exit_code == 1
    assert f"{added}:2: text: duplicates a document in the test split" in result.stderr
    assert "1 problem(s); nothing was trained" in result.stderr
    assert not out.exists()


def test_train_refuses_duplicates_inside_the_added_files(tiny_corpus, model_dir, tmp_path):
    first = write_jsonl(tmp_path / "one.jsonl", [
        {"text": "Neighbours in Larkspur Row vote on every street rule.",
         "accept": ["new_governance"], "answer": "accept"}])
    second = _labels_csv(tmp_path / "two.csv", [
        ("neighbours in larkspur row vote on every street rule.", "crowd",
         ["new_governance"])])
    result = invoke("train", "--corpus", tiny_corpus, "--add", first, "--add", second,
                    "--output", tmp_path / "never", "--compare", model_dir)
    assert result.exit_code == 1
    assert f"{second}:2: text: duplicate text (same as {first}:1)" in result.stderr


def test_train_output_that_is_a_file_is_one_error_line(tiny_corpus, model_dir, tmp_path):
    out = tmp_path / "model.txt"
    out.write_text("not a folder", encoding="utf-8")
    result = invoke("train", "--corpus", tiny_corpus, "--output", out, "--compare", model_dir)
    assert result.exit_code in (1, 2)
    assert result.stderr.startswith("error:")
    assert out.read_text(encoding="utf-8") == "not a folder"


def test_train_refuses_to_overwrite_without_force(tiny_corpus, model_dir, tmp_path):
    out = tmp_path / "existing"
    out.mkdir()
    (out / "keep.txt").write_text("precious", encoding="utf-8")
    result = invoke("train", "--corpus", tiny_corpus, "--output", out, "--compare", model_dir)
    assert result.exit_code == 2
    assert "exists; pass --force" in result.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert (out / "keep.txt").read_text(encoding="utf-8") == "precious"


@pytest.mark.slow
def test_train_force_overwrites(tiny_corpus, model_dir, tmp_path):
    out = tmp_path / "existing"
    out.mkdir()
    (out / "keep.txt").write_text("old", encoding="utf-8")
    result = invoke("train", "--corpus", tiny_corpus, "--output", out, "--compare", model_dir,
                    "--force")
    assert result.exit_code == 0, result.output
    assert (out / "model.skops").is_file()
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["training_data"]["added_documents"] == 0
    assert load_model(out).classify("Members elect the board.").model_version == \
        meta["version"]


def test_train_on_a_missing_corpus_is_one_error(model_dir, tmp_path):
    result = invoke("train", "--corpus", tmp_path / "no-corpus", "--output", tmp_path / "m",
                    "--compare", model_dir)
    assert result.exit_code == 1
    assert "corpus split file not found" in result.stderr
    assert not (tmp_path / "m").exists()


# --------------------------------------------------------------------------- evaluate


@pytest.mark.slow
def test_evaluate_writes_reports_and_plots(tiny_corpus, model_dir, tmp_path):
    report_dir = tmp_path / "report"
    result = invoke("evaluate", "--model", model_dir, "--corpus", tiny_corpus,
                    "--report-dir", report_dir)
    assert result.exit_code == 0, result.output
    names = {p.name for p in report_dir.iterdir()}
    assert names >= {"report.md", "report.json", "per_label_f1.png", "compass_confusion.png",
                     "reliability.png"}
    for png in report_dir.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert report["data"] == "test"
    assert report["model"]["version"] == "tiny-test"
    assert set(report["scores"]) == {"model", "lexicon", "tfidf_lr"}
    scores = report["scores"]["model"]["test"]
    assert scores["n"] == 2
    assert set(scores["per_label"]) == set(LABELS)
    assert 0.0 <= scores["macro"]["f1"] <= 1.0
    assert sum(map(sum, scores["compass"]["confusion"])) == 2
    md = (report_dir / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# Evaluation on test")
    assert "2 documents" in md
    assert "![per_label_f1.png](per_label_f1.png)" in md
    for label in LABELS:
        assert f"`{label}`" in md


@pytest.mark.slow
def test_evaluate_on_a_data_file(tiny_corpus, model_dir, tmp_path):
    data = write_jsonl(tmp_path / "field.jsonl", [
        {"id": "f1", "text": "Members of the Wrenfield club elect their board.",
         "labels": ["new_governance"], "compass": "crowd"},
        {"id": "f2", "text": "The Wrenfield owner gives orders and staff obey.",
         "labels": ["old_governance"], "compass": "castle"},
        {"id": "f3", "text": "Bake the Wrenfield loaf for forty minutes.", "labels": [],
         "compass": None},
    ])
    report_dir = tmp_path / "report"
    result = invoke("evaluate", "--model", model_dir, "--corpus", tiny_corpus, "--data", data,
                    "--report-dir", report_dir)
    assert result.exit_code == 0, result.output
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert report["data"] == "field.jsonl"
    scores = report["scores"]["model"]["field.jsonl"]
    assert scores["n"] == 3
    assert scores["per_label"]["new_governance"]["support"] == 1
    assert scores["per_label"]["old_governance"]["support"] == 1
    assert sum(scores["compass"]["confusion"][-1]) == 1  # one gold "none"


def test_eval_data_with_unknown_label_or_compass_is_refused(tmp_path):
    from newpower_nlp.errors import NewPowerError
    from newpower_nlp.workflows import load_eval_data

    data = write_jsonl(tmp_path / "typo.jsonl", [
        {"text": "Members elect the Quarle board.", "labels": ["new_governence"],
         "compass": "crowd"},
        {"text": "The Quarle owner decides alone.", "labels": ["old_governance"],
         "compass": "tower"},
    ])
    with pytest.raises(NewPowerError, match="new_governence"):
        load_eval_data(data)


def test_evaluate_unknown_split_is_one_error(tiny_corpus, model_dir, tmp_path):
    result = invoke("evaluate", "--model", model_dir, "--corpus", tiny_corpus, "--split",
                    "holdout", "--report-dir", tmp_path / "r")
    assert result.exit_code == 1
    assert "unknown split 'holdout'" in result.stderr
    assert not (tmp_path / "r").exists()


# --------------------------------------------------------------------------- corpus export


def _corpus_rows(corpus: Path) -> dict[str, list[dict]]:
    return {split: [json.loads(line) for line in
                    (corpus / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]
            for split in ("train", "dev", "test")}


def test_export_hf(tiny_corpus, tmp_path):
    import datasets

    out = tmp_path / "hf"
    result = invoke("corpus", "export", "--format", "hf", "--output", out, "--corpus",
                    tiny_corpus)
    assert result.exit_code == 0, result.output
    rows = _corpus_rows(tiny_corpus)
    dsd = datasets.load_from_disk(str(out / "arrow"))
    assert set(dsd) == {"train", "dev", "test"}
    for split, recs in rows.items():
        ds = dsd[split]
        assert ds["id"] == [r["id"] for r in recs]
        assert ds["text"] == [r["text"] for r in recs]
        for label in LABELS:
            assert ds[label] == [r["cats"][label] for r in recs]
        assert ds["labels"] == [[n for n in LABELS if r["cats"][n]] for r in recs]
    files = {s: str(out / "data" / f"{s}.parquet") for s in ("train", "dev", "test")}
    pq = datasets.load_dataset("parquet", data_files=files)
    for split in ("train", "dev", "test"):
        assert pq[split]["text"] == dsd[split]["text"]
        assert pq[split]["compass"] == dsd[split]["compass"]
    assert pq["test"]["compass"] == ["crowd", "none"]
    # no temporary folder left beside the output
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".export-")] == []


def test_export_hf_replaces_an_existing_folder(tiny_corpus, tmp_path):
    out = tmp_path / "hf"
    out.mkdir()
    (out / "stale.txt").write_text("old", encoding="utf-8")
    result = invoke("corpus", "export", "-f", "hf", "-o", out, "--corpus", tiny_corpus)
    assert result.exit_code == 0, result.output
    assert not (out / "stale.txt").exists()
    assert (out / "arrow").is_dir()


def test_export_hf_creates_missing_parent_folders(tiny_corpus, tmp_path, monkeypatch):
    # keep any stray temporary folder inside tmp_path
    systmp = tmp_path / "systmp"
    systmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(systmp))
    out = tmp_path / "new" / "nested" / "hf"
    result = invoke("corpus", "export", "-f", "hf", "-o", out, "--corpus", tiny_corpus)
    assert result.exit_code == 0, result.output
    assert (out / "arrow" / "dataset_dict.json").is_file()
    assert sorted(p.name for p in (out / "data").iterdir()) == ["dev.parquet", "test.parquet",
                                                                "train.parquet"]
    assert list(systmp.iterdir()) == []
    assert [p.name for p in out.parent.iterdir()] == ["hf"]


def test_export_spacy(tiny_corpus, tmp_path):
    import spacy
    from spacy.tokens import DocBin

    out = tmp_path / "spacy"
    result = invoke("corpus", "export", "--format", "spacy", "--output", out, "--corpus",
                    tiny_corpus)
    assert result.exit_code == 0, result.output
    rows = _corpus_rows(tiny_corpus)
    nlp = spacy.blank("en")
    for split, recs in rows.items():
        path = out / f"{split}.spacy"
        assert f"wrote {path}" in flat(result.stdout)
        docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
        assert [d.text for d in docs] == [r["text"] for r in recs]
        for doc, rec in zip(docs, recs):
            assert doc.cats == {n: float(rec["cats"][n]) for n in LABELS}
            spans = {(s.start_char, s.end_char, s.label_) for s in doc.spans["evidence"]}
            assert spans == {(s["start"], s["end"], s["label"]) for s in rec["spans"]}


@pytest.mark.parametrize("target", ["folder", "file.csv"])
def test_export_csv(tiny_corpus, tmp_path, target):
    import pandas as pd

    out = tmp_path / target
    result = invoke("corpus", "export", "--format", "csv", "--output", out, "--corpus",
                    tiny_corpus)
    assert result.exit_code == 0, result.output
    path = out if target.endswith(".csv") else out / "corpus.csv"
    assert f"wrote {path}" in flat(result.stdout)
    df = pd.read_csv(path)
    for label in LABELS:
        assert label in df.columns
        assert set(df[label].unique()) <= {0, 1}
    assert len(df) == 6
    assert df.groupby("split").size().to_dict() == {"dev": 1, "test": 2, "train": 3}
    rows = _corpus_rows(tiny_corpus)
    by_id = {r["id"]: r for recs in rows.values() for r in recs}
    for _, row in df.iterrows():
        rec = by_id[row["id"]]
        assert row["text"] == rec["text"]
        assert [int(row[n]) for n in LABELS] == [rec["cats"][n] for n in LABELS]


def test_export_unknown_format_exits_2(tiny_corpus, tmp_path):
    result = invoke("corpus", "export", "--format", "parquet", "--output", tmp_path / "x",
                    "--corpus", tiny_corpus)
    assert result.exit_code == 2
    assert "unknown --format 'parquet'" in result.stderr
    assert not (tmp_path / "x").exists()


def test_export_missing_corpus_is_one_error(tmp_path):
    result = invoke("corpus", "export", "--format", "csv", "--output", tmp_path / "x.csv",
                    "--corpus", tmp_path / "nothing")
    assert result.exit_code == 1
    assert result.stderr.startswith("error:")
