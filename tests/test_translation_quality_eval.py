"""evaluation/translation_quality.py end to end on the real eval data with the tiny test packages:
which pairs it scores and by which route, the output shapes, and that the "random weights"
label comes from the packages' metadata, not from the scores."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from evaluation.translation_quality import DEFAULT_EVAL_DIR, TEST_LABEL, main
from translation.models.package_builder import TEST_PACKAGE_KEY

NTREX = "NTREX-128"


def _run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main([*args, "--json"]) == 0
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def _first_ntrex_document_lines() -> int:
    with (DEFAULT_EVAL_DIR / "mt_ntrex_multi.jsonl").open(encoding="utf-8") as lines:
        doc_ids = [json.loads(line)["doc_id"] for line in lines if line.strip()]
    return doc_ids.index(next(d for d in doc_ids if d != doc_ids[0]))


def test_scores_every_reachable_pair_with_routes_and_the_test_label(
    packages_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _run_json(capsys, "--packages-dir", str(packages_dir), "--limit", "3")
    routes = {(r["set"], r["source"], r["target"]): (r["route"], r["via"]) for r in report["rows"]}
    assert routes == {
        ("WMT21 de-en", "de", "en"): ("direct", None),
        ("WMT21 de-fr", "de", "fr"): ("pivot", "en"),
        (NTREX, "en", "de"): ("direct", None),
        (NTREX, "en", "fr"): ("direct", None),
        (NTREX, "de", "en"): ("direct", None),
        (NTREX, "de", "fr"): ("pivot", "en"),
        (NTREX, "fr", "en"): ("direct", None),
        (NTREX, "fr", "de"): ("pivot", "en"),
    }
    assert report["label"] == TEST_LABEL and report["warnings"] == []
    whole_document = _first_ntrex_document_lines()
    for row in report["rows"]:
        ntrex = row["set"] == NTREX
        assert row["sentences"] == (whole_document if ntrex else 3), row
        assert row["split_into"] >= row["sentences"]
        assert row["references"] == (2 if row["target"] == "en" and not ntrex else 1)
        assert 0.0 <= row["bleu"] < 2.0 and 0.0 <= row["chrf"] < 20.0, row
        assert row["near_zero"] and row["test_packages"]
        assert row["translationese_input"] == (ntrex and row["source"] != "en")
        assert row["seconds"] > 0.0
    unreachable = report["unreachable"][NTREX]
    assert "en→es (needs en→es)" in unreachable
    assert "ru→de (needs ru→en)" in unreachable
    assert "es→ru (needs es→en and en→ru)" in unreachable
    assert len(unreachable) == 20 - 6
    assert set(report["signatures"]) == {
        "BLEU nrefs:1",
        "BLEU nrefs:2",
        "chrF nrefs:1",
        "chrF nrefs:2",
    }


def test_markdown_table(packages_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--packages-dir", str(packages_dir), "--limit", "2", "--sets", "wmt-de-fr"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "| set | pair | route | sentences | BLEU | chrF | time (s) | note |" in out
    rows = [line for line in out.splitlines() if line.startswith("| WMT21")]
    assert len(rows) == 1
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert cells[:4] == ["WMT21 de-fr", "de→fr", "pivot via en", "2"]
    assert float(cells[4]) < 2.0 and float(cells[5]) < 20.0
    assert cells[7] == "random weights"
    assert f"NOTE: {TEST_LABEL}" in out


def test_label_comes_from_metadata_not_scores(
    tmp_path: Path, packages_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same random weights without the builder's marker look like a real package: no
    label, and a warning that its scores are near zero."""
    unmarked = tmp_path / "packages"
    copy = shutil.copytree(packages_dir / "translate-de_en", unmarked / "translate-de_en")
    metadata = json.loads((copy / "metadata.json").read_text(encoding="utf-8"))
    del metadata[TEST_PACKAGE_KEY]
    (copy / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")

    report = _run_json(
        capsys, "--packages-dir", str(unmarked), "--limit", "2", "--sets", "wmt-de-en", "ntrex"
    )
    assert [(r["source"], r["target"]) for r in report["rows"]] == [("de", "en"), ("de", "en")]
    assert report["label"] is None
    assert all(r["near_zero"] and not r["test_packages"] for r in report["rows"])
    assert len(report["warnings"]) == 2 and "near-zero" in report["warnings"][0]


def test_bad_setup_is_one_line_and_an_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--packages-dir", str(tmp_path), "--limit", "1"]) == 3
    assert main(["--packages-dir", str(tmp_path), "--eval-dir", str(tmp_path)]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2 and all(line.startswith("error: ") for line in errors)
