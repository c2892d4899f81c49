"""Step 4 of :func:`motifnet.interpret.pipeline.interpret`: in-silico experiments
(:mod:`motifnet.interpret.in_silico`) on dinucleotide-shuffled backgrounds of the split.

Motifs tested: the true motifs of simulated data (the consensus of each matrix), else the
consensus of the positive TF-MoDISco patterns of step 3; without either the step is skipped
with a note. Marginalization: each motif inserted at the centre of ``n_backgrounds``
backgrounds, the mean change of every output's logit; when an output is named after the motif
(one class per motif), whether that output rises the most. Cooperativity: the two motifs whose
insertion raises an output the most, the second placed 0 to :data:`MAX_SPACING` bp after the
first's end, in orientations ++ and +- (++ only for RNA), on the output the first raises most.
The report draws both from the summary section this returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from torch import nn

    from motifnet.data import SeqData
    from motifnet.interpret.pipeline import Options

MAX_SPACING = 20
"""Largest gap (bp) between the two motifs of the cooperativity scan."""


def tested_motifs(data: "SeqData", patterns: dict | None, release: str) -> list[tuple[str, str]]:
    """``(name, consensus)`` of the motifs to insert (module docstring)."""
    from motifnet.interpret.truth import release_for, true_motifs
    from motifnet.motifs import consensus

    if data.motif_names:
        known = [(t.name, consensus(t.probabilities)) for t in true_motifs(data, release_for(release))
                 if t.probabilities is not None]
        if known:
            return known
    return [(p["name"], p["consensus"]) for p in (patterns or {}).get("patterns", []) if p["name"].startswith("pos")]


def run_in_silico(model: "nn.Module", data: "SeqData", rows: np.ndarray, opts: "Options", quiet: bool,
                  patterns: dict | None = None) -> dict:
    """Marginalization of every tested motif and the cooperativity scan of the top two; returns
    the summary section 'in_silico'."""
    from motifnet.interpret import in_silico
    from motifnet.interpret.pipeline import _progress

    motifs = tested_motifs(data, patterns, opts.database)
    info: dict[str, Any] = {"n_backgrounds": opts.n_backgrounds, "target_names": list(data.target_names)}
    if not motifs:
        info["note"] = "no motif to insert: the data hold no true motifs and no pattern was found"
        return info
    background = in_silico.backgrounds(np.asarray(data.tokens[rows]), opts.n_backgrounds, seed=opts.seed + 3)
    _progress(f"in silico: {len(motifs)} motif(s) inserted into {len(background)} shuffled backgrounds", quiet)
    before = in_silico.logits(model, background, batch_size=opts.batch_size)  # once for every motif
    rows_out = []
    for name, site in motifs:
        site = site[: background.shape[1]]
        effect = in_silico.marginalize(model, background, site, target=None, batch_size=opts.batch_size,
                                       before=before)
        change = effect.change.mean(axis=0)
        row = {"motif": name, "consensus": site, "mean_change": change.round(4).tolist(),
               "top_output": data.target_names[int(change.argmax())], "top_change": round(float(change.max()), 4)}
        if name in data.target_names:
            row["own_output_top"] = row["top_output"] == name
        rows_out.append(row)
    info["marginalization"] = rows_out
    own = [r["own_output_top"] for r in rows_out if "own_output_top" in r]
    if own:
        info["own_output_fraction"] = float(np.mean(own))
    info["spacing"] = _spacing(model, data, background, rows_out, opts)
    return info


def _spacing(model, data, background: np.ndarray, rows: list[dict], opts: "Options") -> dict | None:
    """The cooperativity scan of the two motifs with the largest ``top_change``."""
    from motifnet.interpret import in_silico

    if len(rows) < 2:
        return None
    first, second = sorted(rows, key=lambda r: -r["top_change"])[:2]
    room = background.shape[1] - len(first["consensus"]) - len(second["consensus"])
    if room < 0:
        return None
    target = data.target_names.index(first["top_output"])
    orientations = ("++",) if data.alphabet == "RNA" else ("++", "+-")
    result = in_silico.space(model, background, first["consensus"], second["consensus"],
                             range(min(MAX_SPACING, room) + 1), target=target, orientations=orientations,
                             alphabet=data.alphabet, batch_size=opts.batch_size)
    return {"first": first["motif"], "second": second["motif"], "output": first["top_output"], **result.summary()}
