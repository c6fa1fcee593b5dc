"""The dedupe measurement scripts read a corpus as `wirefeed dedupe` does (they broke once when its parser changed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STORY = ("The central bank raised its main interest rate by a quarter point on Tuesday, citing inflation that "
         "stayed above its target for a third quarter. ") * 6


def _corpus(path: Path) -> Path:
    rows = [{"id": "a", "title": "Bank raises rate", "text": STORY, "published": "2024-03-05T10:00:00Z"},
            {"id": "b", "title": "Bank raises rate", "text": STORY + " Reporting by a wire.",
             "published": "2024-03-05T11:00:00Z"},
            {"id": "c", "title": "Storm", "text": "A storm closed the coastal road for two days. " * 20}]
    path.write_text("\ufeff" + "\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    return path


def test_check_dedupe_decisions_saves_and_compares_a_corpus(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "c.jsonl")
    script = str(ROOT / "scripts" / "check_dedupe_decisions.py")
    saved = tmp_path / "d.jsonl"
    subprocess.run([sys.executable, script, "--corpus", str(corpus), "--save", str(saved)], check=True, cwd=ROOT,
                   capture_output=True)
    lines = [json.loads(line) for line in saved.read_text().splitlines()]
    assert len(lines) == 3
    compared = subprocess.run([sys.executable, script, "--corpus", str(corpus), "--compare", str(saved)], check=False,
                              cwd=ROOT, capture_output=True, text=True)
    assert compared.returncode == 0, compared.stdout + compared.stderr


def test_bench_dedupe_reads_documents_as_the_command_does(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import bench_dedupe
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    docs = list(bench_dedupe.docs_of(_corpus(tmp_path / "c.jsonl")))
    assert [doc.id for doc in docs] == ["a", "b", "c"]
    assert docs[0].published is not None
    assert docs[0].published.year == 2024
    assert [doc.id for doc in bench_dedupe.docs_of(tmp_path / "c.jsonl", limit=2)] == ["a", "b"]
