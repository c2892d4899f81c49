"""Interpret a trained run on a data set: everything in :mod:`motifnet.interpret`, written to a
folder (the ``motifnet interpret`` command).

Outputs in ``out``:

- ``filters.meme``: the PPM of every first-layer filter that fired (Koo & Eddy activation method);
- ``tomtom.tsv``: the 5 best database matches of each informative filter (p, E, q);
- ``logos/``: ``filter_<name>.png/.svg`` (filter beside its best match) and
  ``attribution_<k>.png/.svg`` (attribution maps, true site shaded when known);
- ``attributions.npz``: ``attributions`` float32 ``[M, 4, L]``, ``rows`` (data row of each
  map), ``ids``, ``targets`` (output explained), ``tokens``;
- ``localization.json``: filter/motif recovery and localization numbers (attributions and
  first-layer activations) when the data carry true sites; the settings used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from motifnet.errors import MotifnetError


@dataclass
class Options:
    """Settings of :func:`interpret` (defaults in brackets).

    database ['JASPAR2024'], collection ['CORE'], tax_group ['vertebrates']: Tomtom targets
    (a JASPAR release, or a motif file path as ``database``); threshold [0.5]: activation
    fraction; e_value [0.1]; method ['grad_x_input']: attribution method; n_filter_sequences
    [2000]: sequences used for filter activations; n_attributions [500]: sequences explained;
    n_logos [10]; n_examples [4]: attribution logos; only_correct [True]: localize only
    correctly classified sequences; split ['test']: rows of that 'split' annotation when the data
    have one ('all' for every row); seed [0]; batch_size [256]; formats [('png', 'svg')];
    attributions [True]: False skips attributions and localization (filters and Tomtom only).
    """

    database: str = "JASPAR2024"
    collection: str | None = "CORE"
    tax_group: str | None = "vertebrates"
    threshold: float = 0.5
    e_value: float = 0.1
    method: str = "grad_x_input"
    n_filter_sequences: int = 2000
    n_attributions: int = 500
    n_logos: int = 10
    n_examples: int = 4
    only_correct: bool = True
    split: str = "test"
    seed: int = 0
    batch_size: int = 256
    formats: tuple = ("png", "svg")
    attributions: bool = True
    extra: dict = field(default_factory=dict)


def select_rows(data, split: str) -> np.ndarray:
    """Rows of ``data`` in ``split`` (its 'split' annotation), or all rows for 'all' or data
    without that annotation.

    Raises:
        MotifnetError: the split exists as a column but holds no such rows.
    """
    column = data.annotations.get("split")
    if split == "all" or column is None:
        return np.arange(len(data))
    rows = np.flatnonzero(np.asarray(column).astype(str) == split)
    if len(rows) == 0:
        raise MotifnetError(f"no rows in split {split!r}; the data have {sorted(set(np.asarray(column).astype(str)))}")
    return rows


def site_targets(data, probabilities: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each true site of ``data.sites``: the model output that should explain it, and
    whether the model predicted that output correctly (all True without ``probabilities``).

    binary: output 0, correct when p > 0.5 and the label is 1; multiclass: the sequence's class,
    correct when it is the argmax; multilabel: the target named as the site's motif (else the
    motif index), correct when p > 0.5 and the label is 1.

    Args:
        probabilities: predictions ``[N, T]`` for every row of ``data``.

    Raises:
        MotifnetError: data without sites, or motifs that match no output.
    """
    if data.sites is None:
        raise MotifnetError("the data have no true sites")
    rows = np.asarray(data.sites["sequence"], dtype=np.int64)
    targets = np.asarray(data.targets)
    if data.task == "multiclass":
        target = targets[rows].astype(np.int64)
    elif data.task == "binary" or data.n_targets == 1:
        target = np.zeros(len(rows), dtype=np.int64)
    else:
        lookup = {name.upper(): i for i, name in enumerate(data.target_names)}
        motif = np.asarray(data.sites["motif"], dtype=np.int64)
        names = [data.motif_names[m].upper() if m < len(data.motif_names) else "" for m in motif]
        target = np.array([lookup.get(name, m) for name, m in zip(names, motif)], dtype=np.int64)
        if (target >= data.n_targets).any():
            raise MotifnetError("site motifs do not line up with the model's outputs")
    if probabilities is None:
        return target, np.ones(len(rows), dtype=bool)
    if data.task == "multiclass":
        correct = probabilities[rows].argmax(axis=1) == target
    else:
        correct = (probabilities[rows, target] > 0.5) & (targets[rows, target] > 0.5)
    return target, correct


def _progress(message: str, quiet: bool) -> None:
    if not quiet:
        print(message, flush=True)


def interpret(model, data, out: str | Path, options: Options | None = None, quiet: bool = False,
              task: str | None = None) -> dict:
    """Run filters -> Tomtom, attributions and localization for ``model`` on ``data`` and write
    the outputs listed in the module docstring into ``out``.

    Returns:
        The summary written to ``localization.json``.

    Raises:
        MotifnetError: bad options, an unknown database, or data the model cannot read.
    """
    from motifnet.interpret.tomtom import load_database
    from motifnet.jsonio import write_json

    opts = options or Options()
    out = Path(out)
    (out / "logos").mkdir(parents=True, exist_ok=True)
    rows = select_rows(data, opts.split)
    rng = np.random.default_rng(opts.seed)
    summary: dict[str, Any] = {
        "settings": {k: v for k, v in opts.__dict__.items() if k != "extra"} | opts.extra,
        "n_rows": int(len(rows)),
    }
    filter_rows = np.sort(rng.choice(rows, min(len(rows), opts.n_filter_sequences), replace=False))
    database = load_database(opts.database, opts.collection, opts.tax_group)  # fails early if unknown
    summary["filters"] = _filters(model, data, filter_rows, opts, out, quiet, database)
    if opts.attributions:
        summary["attributions"] = _attributions(model, data, rows, opts, out, quiet, summary["filters"], task)
    summary["filters"].pop("_filters_by_target", None)
    write_json(out / "localization.json", summary)
    return summary


def _filters(model, data, rows: np.ndarray, opts: Options, out: Path, quiet: bool, database) -> dict:
    from motifnet.interpret import filters as filter_motifs
    from motifnet.interpret.logos import filter_match_figure, save_figure
    from motifnet.interpret.tomtom import informative_queries, recovery, tomtom, write_table
    from motifnet.interpret.truth import by_motif, sites_oracle, truth_database

    try:
        filter_motifs.first_conv(model)
    except MotifnetError:
        return {"note": "no convolution reads the input: filter motifs do not apply"}
    _progress(f"filters: activations on {len(rows)} sequences", quiet)
    strands = filter_motifs.model_strands(model)
    found = filter_motifs.activation_motifs(model, np.asarray(data.tokens[rows]), threshold=opts.threshold,
                                            batch_size=opts.batch_size, quiet=quiet, strands=strands)
    fired = np.flatnonzero(found.n_sites > 0)
    if len(fired):
        filter_motifs.write_meme(found, out / "filters.meme", fired, alphabet=data.alphabet)
    kept, queries, starts = informative_queries(found.probabilities(), found.n_sites)
    info: dict[str, Any] = {"n_filters": len(found), "n_fired": int(len(fired)), "n_informative": int(len(kept)),
                            "filter_length": found.length, "strands": strands}
    if len(kept) == 0:
        info["note"] = "no informative filter"
        return info
    names = [found.names[i] for i in kept]
    keys: list[str] = []
    truth_rows: dict[int, str] = {}  # database row of a true matrix -> the data's motif name
    if data.motif_names:
        database, truths, keys, info["true_motifs"] = truth_database(data, database, opts.database)
        truth_rows = {database.ids.index(t.id): t.name for t in truths if t.id in database.ids}
    _progress(f"tomtom: {len(kept)} informative filters vs {opts.database} ({len(database)} motifs)", quiet)
    result = tomtom(queries, database, names)
    write_table(result.table(top=5), out / "tomtom.tsv")
    best = result.best()
    e_best = result.e_values[np.arange(len(kept)), best]
    info["matches"] = {names[q]: {"target": f"{database.ids[best[q]]} {database.names[best[q]]}",
                                  "e_value": float(e_best[q]), "n_sites": int(found.n_sites[kept[q]])}
                       for q in range(len(kept))}
    info["n_significant"] = int((e_best < opts.e_value).sum())
    if keys:
        for criterion in ("best", "any"):
            info[f"recovery_{criterion}"] = recovery(result, keys, opts.e_value, criterion).as_dict()
        info["by_motif"] = by_motif(result, keys, opts.e_value)
        info["sites_oracle"] = sites_oracle(data.subset(rows), truths, database, opts.e_value)
    order = [q for q in np.argsort(e_best) if e_best[q] < opts.e_value][: opts.n_logos]
    for q in order:
        t = best[q]
        figure = filter_match_figure(queries[q], names[q], database.probabilities[t],
                                     f"{database.ids[t]} {database.names[t]}", int(result.offsets[q, t]),
                                     "-" if result.strands[q, t] else "+", float(e_best[q]))
        save_figure(figure, out / "logos" / f"filter_{names[q]}", opts.formats)
    info["logos"] = [f"filter_{names[q]}" for q in order]
    # Filters per database motif, with the column of each filter's window facing the matched
    # motif's centre (trim start + Tomtom offset), for activation-based localization.
    info["_filters_by_target"] = {}
    for q in range(len(kept)):
        t = best[q]
        if e_best[q] < opts.e_value:
            centre = starts[q] + database.probabilities[t].shape[1] / 2.0 - result.offsets[q, t]
            motif = truth_rows.get(int(t), database.names[t])
            entry = info["_filters_by_target"].setdefault(motif.upper(), ([], []))
            entry[0].append(int(kept[q]))
            entry[1].append(float(np.clip(centre, 0, found.length - 1)))
    return info


def _attributions(model, data, rows: np.ndarray, opts: Options, out: Path, quiet: bool, filter_info: dict,
                  task: str | None) -> dict:
    from motifnet.interpret.attribution import attribute, position_scores
    from motifnet.interpret.localization import localize
    from motifnet.interpret.logos import attribution_figure, save_figure
    from motifnet.io.files import atomic_write
    from motifnet.predict import predict

    rng = np.random.default_rng(opts.seed + 1)
    by_target = filter_info.pop("_filters_by_target", {})
    probabilities = predict(model, np.asarray(data.tokens[rows]), batch_size=opts.batch_size, task=task or data.task)
    full = np.zeros((len(data), probabilities.shape[1]), dtype=np.float32)
    full[rows] = probabilities
    info: dict[str, Any] = {"method": opts.method}
    if data.sites is not None and len(data.sites):
        target, correct = site_targets(data, full)
        in_rows = np.isin(np.asarray(data.sites["sequence"]), rows)
        candidates = np.flatnonzero(in_rows & (correct if opts.only_correct else True))
        info["n_sites_in_rows"] = int(in_rows.sum())
        info["n_sites_correct"] = int((in_rows & correct).sum())
        picked = np.sort(rng.choice(candidates, min(len(candidates), opts.n_attributions), replace=False))
        sites = data.sites[picked]
        explained_rows = np.asarray(sites["sequence"], dtype=np.int64)
        explained = target[picked]
    else:
        sites = None
        top = rows[np.argsort(-full[rows].max(axis=1))]
        explained_rows = np.sort(top[: opts.n_attributions])
        explained = full[explained_rows].argmax(axis=1)
    if len(explained_rows) == 0:
        info["note"] = "no sequence to explain (none correctly predicted with a site)"
        return info
    tokens = np.asarray(data.tokens[explained_rows])
    _progress(f"attributions: {opts.method} on {len(tokens)} sequences", quiet)
    extra = {"quiet": quiet} if opts.method == "ism" else {}
    maps = attribute(model, tokens, opts.method, explained, batch_size=opts.batch_size, **extra)
    with atomic_write(out / "attributions.npz", "wb") as handle:
        np.savez_compressed(handle, attributions=maps.numpy().astype(np.float32), rows=explained_rows,
                            ids=np.asarray(data.ids)[explained_rows], targets=explained, tokens=tokens)
    scores = position_scores(maps).numpy()
    predicted = None
    if sites is not None:
        result = localize(scores, sites)
        predicted = result.predicted_start
        info["localization"] = result.summary()
        info["localization_by_motif"] = {}
        for m in np.unique(sites["motif"]):
            chosen = np.flatnonzero(sites["motif"] == m)
            name = data.motif_names[m] if m < len(data.motif_names) else str(m)
            info["localization_by_motif"][name] = {"n_sites": int(len(chosen)),
                                                   "hit_rate": float(result.hit[chosen].mean())}
        info["activation_localization"] = _activation_localization(model, data, tokens, sites, by_target)
    names = data.target_names
    for k in range(min(opts.n_examples, len(tokens))):
        title = f"{data.ids[explained_rows[k]]}: {names[explained[k]] if explained[k] < len(names) else explained[k]}"
        site = predicted_site = None
        if sites is not None:
            width = int(sites["end"][k] - sites["start"][k])
            site = (int(sites["start"][k]), int(sites["end"][k]))
            predicted_site = (int(predicted[k]), int(predicted[k]) + width)
            title += f" site {site[0]}-{site[1]} ({'+' if sites['strand'][k] > 0 else '-'})"
        figure = attribution_figure(maps[k].numpy(), title, site=site, predicted=predicted_site, alphabet=data.alphabet)
        save_figure(figure, out / "logos" / f"attribution_{k}", opts.formats)
    return info


def _activation_localization(model, data, tokens: np.ndarray, sites, by_target: dict) -> dict:
    """Localization from first-layer activations: for each site, the filters whose best Tomtom
    match is the site's motif (sites of motifs no filter matches are counted as misses)."""
    from motifnet.interpret.filters import first_conv
    from motifnet.interpret.localization import activation_scores, localize

    try:
        first_conv(model)
    except MotifnetError:
        return {"note": "no convolution reads the input"}
    hits = np.zeros(len(sites), dtype=bool)
    distances = np.full(len(sites), np.nan)
    per_motif = {}
    for m in np.unique(sites["motif"]):
        chosen = np.flatnonzero(sites["motif"] == m)
        name = data.motif_names[m] if m < len(data.motif_names) else str(m)
        filters, centres = by_target.get(name.upper(), ([], []))
        if not filters:
            per_motif[name] = {"n_sites": int(len(chosen)), "hit_rate": 0.0, "filters": []}
            continue
        scores = activation_scores(model, tokens[chosen], filters=filters, centres=centres)
        result = localize(scores, sites[chosen], peak=True)
        hits[chosen] = result.hit
        distances[chosen] = result.distance
        per_motif[name] = {"n_sites": int(len(chosen)), "hit_rate": result.hit_rate, "filters": filters}
    matched = np.isfinite(distances)
    return {
        "hit_rate": float(hits.mean()),
        "hit_rate_where_a_filter_matches": float(hits[matched].mean()) if matched.any() else None,
        "median_abs_distance": float(np.median(np.abs(distances[matched]))) if matched.any() else None,
        "by_motif": per_motif,
    }
