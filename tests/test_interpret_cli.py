"""`motifnet interpret` end to end on a tiny trained run, and its bad-input errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motifnet.cli import main


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    import torch

    from motifnet.data import save
    from motifnet.models import build
    from motifnet.simulate import simulate
    from motifnet.training import fit

    folder = tmp_path_factory.mktemp("interpret_cli")
    data = simulate("classroom", n_per_class=30, seed=1)
    save(data, folder / "data")
    torch.manual_seed(0)
    model = build("deepbind", data.n_targets, data.length, n_filters=8)
    fit(model, data, out_dir=folder / "run", quiet=True, epochs=1, batch_size=64)
    return folder


def test_interpret_writes_every_output(trained, capsys):
    out = trained / "out"
    code = main(["interpret", "--run", str(trained / "run"), "--data", str(trained / "data"), "--out", str(out),
                 "--split", "all", "--n-attributions", "20", "--n-examples", "1", "--all-sequences", "--quiet"])
    assert code == 0
    assert capsys.readouterr().out == ""  # --quiet
    summary = json.loads((out / "localization.json").read_text())
    assert summary["filters"]["n_filters"] == 8
    assert summary["settings"]["run"] == str(trained / "run")
    localization = summary["attributions"]["localization"]
    assert localization["n_sites"] == 20 and 0 <= localization["hit_rate"] <= 1
    with np.load(out / "attributions.npz") as saved:
        assert saved["attributions"].shape == (20, 4, 100)
        assert saved["tokens"].shape == (20, 100) and len(saved["rows"]) == 20
        # Observed-base maps: nothing off the observed bases.
        off = saved["attributions"] * (1 - np.eye(5, 4, dtype=np.float32)[saved["tokens"]].transpose(0, 2, 1))
        assert np.abs(off).max() == 0
    assert {p.suffix for p in (out / "logos").iterdir()} == {".png", ".svg"}
    if summary["filters"]["n_fired"]:
        from motifnet.io.motif_files import read_meme

        motifs = read_meme(out / "filters.meme")
        assert len(motifs) == summary["filters"]["n_fired"] and motifs[0].width == 24
    if summary["filters"]["n_informative"]:
        header = (out / "tomtom.tsv").read_text().splitlines()[0].split("\t")
        assert header[:3] == ["query", "rank", "target_id"] and "q_value" in header


@pytest.mark.parametrize(
    "extra, message",
    [(["--threshold", "2"], "--threshold"), (["--split", "nope"], "no rows in split"),
     (["--database", "JASPAR1999"], "JASPAR")],
)
def test_interpret_bad_input_is_one_line(trained, capsys, extra, message):
    out = trained / "bad"
    code = main(["interpret", "--run", str(trained / "run"), "--data", str(trained / "data"), "--out", str(out),
                 "--n-attributions", "5", "--quiet", *extra])
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert message in error and "\n" not in error


def test_interpret_missing_run(tmp_path, capsys):
    assert main(["interpret", "--run", str(tmp_path / "none"), "--data", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
