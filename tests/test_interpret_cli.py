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
    from motifnet.runs import BEST_WEIGHTS, save_weights
    from motifnet.simulate import simulate
    from motifnet.training import fit

    folder = tmp_path_factory.mktemp("interpret_cli")
    data = simulate("classroom", n_per_class=30, seed=1)
    save(data, folder / "data")
    torch.manual_seed(0)
    model = build("deepbind", data.n_targets, data.length, n_filters=8)
    fit(model, data, out_dir=folder / "run", quiet=True, epochs=1, batch_size=64)
    _plant_motif(model, "CACGTGAC")  # one epoch learns no motif: give filter 0 one, so every output is made
    save_weights(model.state_dict(), folder / "run" / BEST_WEIGHTS)
    return folder


def _plant_motif(model, consensus: str) -> None:
    """Filter 0 of the first convolution reads ``consensus`` (+3 per matching base, -3 otherwise)
    in the middle of its window, with no bias."""
    import torch

    from motifnet.models import first_conv
    from motifnet.sequence import encode

    conv = first_conv(model)
    start = (conv.kernel_size[0] - len(consensus)) // 2
    with torch.no_grad():
        conv.weight[0] = 0.0
        conv.weight[0, :, start : start + len(consensus)] = -3.0
        for i, token in enumerate(encode(consensus)):
            conv.weight[0, int(token), start + i] = 3.0
        conv.bias[0] = 0.0


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
    from motifnet.io.motif_files import read_meme

    assert summary["filters"]["n_fired"] >= 1 and summary["filters"]["n_informative"] >= 1  # the planted filter
    motifs = read_meme(out / "filters.meme")
    assert len(motifs) == summary["filters"]["n_fired"] and motifs[0].width == 24
    assert "".join("ACGT"[i] for i in motifs[0].probabilities[:, 8:16].argmax(axis=0)) == "CACGTGAC"
    rows = [line.split("\t") for line in (out / "tomtom.tsv").read_text().splitlines()]
    assert rows[0][:3] == ["query", "rank", "target_id"] and "q_value" in rows[0]
    assert len(rows) > 1 and {row[0] for row in rows[1:]} >= {"filter0"}


def test_interpret_in_silico_inserts_every_true_motif(trained, capsys):
    out = trained / "in_silico"
    code = main(["interpret", "--run", str(trained / "run"), "--data", str(trained / "data"), "--out", str(out),
                 "--split", "all", "--no-filters", "--no-attributions", "--in-silico", "--n-backgrounds", "12"])
    assert code == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "interpret.json").read_text())
    info = summary["in_silico"]
    assert info["n_backgrounds"] == 12 and len(info["marginalization"]) == 10  # the classroom's 10 true motifs
    assert all(len(row["mean_change"]) == 11 for row in info["marginalization"])
    assert "inserted motifs raising their own output most" in printed
    assert summary["in_silico_own_output_fraction"] == info["own_output_fraction"]


@pytest.mark.parametrize(
    "extra, message",
    [(["--threshold", "2"], "--threshold"), (["--split", "nope"], "no rows in split"),
     (["--database", "JASPAR1999"], "JASPAR"), (["--n-backgrounds", "0"], "--n-backgrounds")],
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
