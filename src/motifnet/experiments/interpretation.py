"""The interpretation step of an experiment, built on :mod:`motifnet.interpret`.

For one trained model and its data set:

1. filters -> PPMs (Koo & Eddy activation method) on test sequences -> informative filters ->
   Tomtom against a database (JASPAR2024 CORE vertebrates by default); with simulated data, the
   fraction of filters matching a true motif and the true motifs recovered (E < 0.1), scored
   against the exact matrices the simulator embedded (:mod:`motifnet.interpret.truth`: ids with
   versions, swapped into the database), per motif the closest filter, and the sites oracle;
2. attributions (gradient x input by default) of correctly predicted test sequences that hold a
   true site, for the output of the site's motif -> localization accuracy (the predicted window
   centre falls in the true site);
3. figures: the best filter of each recovered true motif beside its JASPAR match, and a few
   attribution logos with the true site shaded.

Options (``interpret:`` in an experiment file, all optional)::

    filters: true            # step 1 (skipped for models without a convolution on the input)
    database: JASPAR2024     # a JASPAR release or a MEME file
    e_value: 0.1
    n_sequences: 2000        # test sequences used for filter activations
    n_logos: 10              # filter logos drawn
    attributions: true       # step 2
    method: grad_x_input     # or ism, integrated_gradients
    n_localize: 300          # sites scored for localization
    n_examples: 3            # attribution logos drawn
    koo_eddy: false          # also Koo & Eddy's two fractions (all filters, any true / any match)
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from motifnet.errors import MotifnetError

DEFAULTS: dict[str, Any] = {
    "filters": True, "database": "JASPAR2024", "e_value": 0.1, "n_sequences": 2000, "n_logos": 10,
    "attributions": True, "method": "grad_x_input", "n_localize": 300, "n_examples": 3, "seed": 0,
    "koo_eddy": False,
}


@functools.lru_cache(maxsize=4)
def _database(name: str):
    from motifnet.interpret.tomtom import load_database

    return load_database(name)


def interpret_arm(run_dir: Path, data_dir: Path, options: dict, folder: Path, quiet: bool = True) -> dict:
    """Interpret the model in ``run_dir`` on the test split in ``data_dir``; write into ``folder``.

    Writes ``interpret.json`` (numbers and the list of figures), ``tomtom.tsv`` and PNG figures.

    Raises:
        MotifnetError: an unknown option or a database that cannot be loaded.
    """
    from motifnet.data import load
    from motifnet.runs import load_run, write_json

    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise MotifnetError(f"interpret: unknown option(s) {unknown}; expected some of {sorted(DEFAULTS)}")
    opts = {**DEFAULTS, **options}
    run = load_run(run_dir)
    test = load(Path(data_dir) / "test", mmap=False)
    info: dict[str, Any] = {"figures": []}
    if opts["filters"]:
        info.update(_filters(run.model, test, opts, folder, info["figures"], quiet))
    if opts["attributions"]:
        info.update(_attributions(run.model, test, opts, folder, info["figures"]))
    write_json(folder / "interpret.json", info)
    return {k: info.get(k) for k in ("filter_match_fraction", "motif_recovery_fraction", "localization_accuracy")}



def _filters(model, test, opts: dict, folder: Path, figures: list, quiet: bool) -> dict:
    from motifnet.interpret.filters import activation_motifs, model_strands
    from motifnet.interpret.logos import filter_match_figure, save_figure
    from motifnet.interpret.tomtom import informative_queries, recovery, tomtom, write_table
    from motifnet.interpret.truth import by_motif, koo_eddy_fractions, sites_oracle, truth_database
    from motifnet.models import first_conv

    try:
        first_conv(model)
    except MotifnetError:
        return {"note": "no convolution on the input: filter motifs do not apply"}
    rows = np.arange(min(len(test), int(opts["n_sequences"])))
    filters = activation_motifs(model, test.tokens[rows], quiet=quiet, strands=model_strands(model))
    kept, queries, _ = informative_queries(filters.probabilities(), filters.n_sites)
    out: dict[str, Any] = {"n_filters": len(filters), "n_informative": int(len(kept))}
    database = _database(str(opts["database"]))
    keys: list[str] = []
    if test.motif_names:  # the exact matrices the simulator embedded (ids with versions)
        database, truths, keys, out["true_motifs"] = truth_database(test, database, str(opts["database"]))
        if opts["koo_eddy"]:
            out["koo_eddy"] = koo_eddy_fractions(filters.probabilities(), truths, database, float(opts["e_value"]))
    if len(kept) == 0:
        out["note"] = "no informative filter"
        if keys:
            out.update(filter_match_fraction=0.0, motif_recovery_fraction=0.0, recovered={key: [] for key in keys})
        return out
    names = [filters.names[i] for i in kept]
    result = tomtom(queries, database, query_names=names, n_jobs=1)
    table = result.table(top=1)
    write_table(result.table(top=5), folder / "tomtom.tsv")
    e_value = float(opts["e_value"])
    out["matches"] = [
        {"filter": row["query"], "target": f"{row['target_id']} {row['target_name']}", "e_value": row["e_value"],
         "n_sites": int(filters.n_sites[kept[q]])}
        for q, row in enumerate(table)
    ]
    out["method_note"] = (
        f"Filters: Koo & Eddy activation method (windows above 0.5 x each filter's maximum over {len(rows)} test "
        f"sequences), trimmed; {len(kept)} of {len(filters)} informative filters compared with "
        f"{opts['database']} ({len(database)} motifs) by Tomtom; a match needs E < {e_value:g}."
    )
    best = result.best()
    chosen: list[int] = []
    if keys:
        score = recovery(result, keys, e_value=e_value)
        out.update(filter_match_fraction=score.filter_match_fraction, motif_recovery_fraction=score.motif_recovery_fraction,
                   recovered=score.recovered, by_motif=by_motif(result, keys, e_value),
                   sites_oracle=sites_oracle(test, truths, database, e_value))
        for motif, matched in score.recovered.items():
            if matched:
                q = min((names.index(f) for f in matched), key=lambda i: result.p_values[i, best[i]])
                chosen.append(q)
    significant = [q for q in np.argsort(result.p_values[np.arange(len(names)), best]) if result.e_values[q, best[q]] < e_value]
    for q in significant:
        if len(chosen) >= int(opts["n_logos"]):
            break
        if int(q) not in chosen:
            chosen.append(int(q))
    for q in chosen[: int(opts["n_logos"])]:
        t = best[q]
        fig = filter_match_figure(queries[q], names[q], database.probabilities[t], f"{database.ids[t]} {database.names[t]}",
                                  int(result.offsets[q, t]), "-" if result.strands[q, t] else "+", float(result.e_values[q, t]))
        save_figure(fig, folder / f"filter_{names[q]}.png", formats=("png",), dpi=90)
        figures.append({"file": f"filter_{names[q]}.png", "kind": "filters",
                        "caption": f"{names[q]} vs {database.names[t]} (E = {result.e_values[q, t]:.2g})"})
    return out


def _site_targets(test, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each true site: the output explaining it, and whether the model got that output right."""
    sites = test.sites
    rows = np.asarray(sites["sequence"], dtype=np.int64)
    if test.task == "binary":
        target = np.zeros(len(sites), dtype=np.int64)
        correct = (scores[rows, 0] > 0.5) & (np.asarray(test.targets)[rows, 0] > 0.5)
    elif test.task == "multiclass":
        target = np.asarray(test.targets)[rows].astype(np.int64)
        correct = scores[rows].argmax(axis=1) == target
    else:
        target = np.asarray(sites["motif"], dtype=np.int64)
        if target.max(initial=0) >= scores.shape[1]:
            raise MotifnetError("site motifs do not line up with the targets")
        correct = (scores[rows, target] > 0.5) & (np.asarray(test.targets)[rows, target] > 0.5)
    return target, correct


def _attributions(model, test, opts: dict, folder: Path, figures: list) -> dict:
    from motifnet.interpret.attribution import attribute, position_scores
    from motifnet.interpret.localization import localize
    from motifnet.interpret.logos import attribution_figure, save_figure
    from motifnet.training import predict

    rng = np.random.default_rng(int(opts["seed"]))
    method = str(opts["method"])
    if test.sites is None or len(test.sites) == 0:
        return _plain_examples(model, test, opts, folder, figures)
    scores = predict(model, test)
    target, correct = _site_targets(test, scores)
    candidates = np.flatnonzero(correct)
    if len(candidates) == 0:
        return {"localization_accuracy": None, "localization": {"note": "no correctly predicted sequence with a site"}}
    picked = np.sort(rng.choice(candidates, min(len(candidates), int(opts["n_localize"])), replace=False))
    sites = test.sites[picked]
    tokens = np.asarray(test.tokens)[np.asarray(sites["sequence"], dtype=np.int64)]
    maps = attribute(model, tokens, method=method, target=target[picked])
    per_position = position_scores(maps).detach().cpu().numpy()
    result = localize(per_position, sites)
    summary = result.summary()
    names = test.target_names
    for k in range(min(int(opts["n_examples"]), len(picked))):
        site = sites[k]
        strand = "+" if int(site["strand"]) > 0 else "-"
        fig = attribution_figure(
            maps[k].detach().cpu().numpy(),
            title=f"{test.ids[int(site['sequence'])]}: {names[int(target[picked[k]])]} site at "
                  f"{int(site['start'])}-{int(site['end'])} ({strand})",
            site=(int(site["start"]), int(site["end"])),
            predicted=(int(result.predicted_start[k]), int(result.predicted_start[k] + site["end"] - site["start"])),
            alphabet=test.alphabet,
        )
        save_figure(fig, folder / f"attribution_{k}.png", formats=("png",), dpi=80)
        figures.append({"file": f"attribution_{k}.png", "kind": "attribution",
                        "caption": f"{method}; true site shaded, predicted site dashed"})
    return {"localization_accuracy": summary["hit_rate"], "localization": summary, "attribution_method": method,
            "n_correct_with_site": int(len(candidates))}


def _plain_examples(model, test, opts: dict, folder: Path, figures: list) -> dict:
    """Data without true sites (real data): attribution logos of the most confident positives."""
    from motifnet.interpret.attribution import attribute
    from motifnet.interpret.logos import attribution_figure, save_figure
    from motifnet.training import predict

    if test.task not in ("binary", "multilabel"):
        return {}
    scores = predict(model, test)
    top = np.argsort(-scores.max(axis=1))[: int(opts["n_examples"])]
    target = scores[top].argmax(axis=1)
    maps = attribute(model, np.asarray(test.tokens)[top], method=str(opts["method"]), target=target)
    for k, row in enumerate(top):
        fig = attribution_figure(maps[k].detach().cpu().numpy(), title=f"{test.ids[row]} (score {scores[row].max():.3f})",
                                 alphabet=test.alphabet)
        save_figure(fig, folder / f"attribution_{k}.png", formats=("png",), dpi=80)
        figures.append({"file": f"attribution_{k}.png", "kind": "attribution",
                        "caption": f"{opts['method']}; one of the most confident positives (no true site known)"})
    return {"attribution_method": str(opts["method"])}
