import json
import subprocess
import sys

from conftest import FIXTURES
from typer.testing import CliRunner

from newpower_nlp.cli import app

runner = CliRunner()


def test_validate_reports_each_fault_on_its_own_line():
    result = runner.invoke(app, ["corpus", "validate", str(FIXTURES / "seeded_faults.jsonl")])
    assert result.exit_code == 1
    lines = [ln for ln in result.stderr.splitlines() if "seeded_faults.jsonl:" in ln]
    assert len(lines) == 10
    assert [int(ln.split(":")[1]) for ln in lines] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "Traceback" not in result.output


def test_validate_ok_on_tiny_corpus(tiny_corpus):
    result = runner.invoke(app, ["corpus", "validate", "--corpus", str(tiny_corpus)])
    assert result.exit_code == 0, result.output
    assert "ok: 6 records in 3 file(s)" in result.stdout


def test_stats_json(tiny_corpus):
    result = runner.invoke(app, ["corpus", "stats", "--corpus", str(tiny_corpus), "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["documents"] == 6
    assert stats["splits"] == {"train": 3, "dev": 1, "test": 2}
    assert stats["labels"]["new_governance"] == 1
    assert stats["compass"] == {"castle": 2, "cheerleader": 0, "co_opter": 0, "crowd": 2,
                                "none": 2}
    assert stats["no_power_content"] == 2
    assert stats["length_words"]["q0"] == 8
    assert stats["cooccurrence"]["matrix"][0][0] == stats["labels"]["old_governance"]


def test_stats_table(tiny_corpus):
    result = runner.invoke(app, ["corpus", "stats", "--corpus", str(tiny_corpus)])
    assert result.exit_code == 0
    assert "Corpus: 6 documents" in result.stdout
    assert "new_transparency" in result.stdout


def test_stats_on_missing_corpus_is_one_line(tmp_path):
    result = runner.invoke(app, ["corpus", "stats", "--corpus", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error:")
    assert "Traceback" not in result.output


def test_real_subprocess_no_args_shows_help():
    proc = subprocess.run([sys.executable, "-m", "newpower_nlp.cli"], capture_output=True,
                          text=True)
    assert "corpus" in proc.stdout + proc.stderr
