"""Interpret a trained model on a data set: everything in :mod:`motifnet.interpret`, written to a
folder. The one implementation behind ``motifnet interpret`` and the experiment step
(:mod:`motifnet.experiments.interpretation`): the same options give the same files.

Steps: (1) filters -> PPMs (Koo & Eddy activation method) -> informative filters -> Tomtom
against a database; with simulated data, scored against the exact matrices the simulator
embedded (:mod:`motifnet.interpret.truth`); (2) attributions of the sequences holding a true site
(or, without sites, of the most confident ones) -> localization; (3, with ``patterns``)
DeepLIFT/DeepSHAP contributions -> TF-MoDISco patterns -> Tomtom, scored against the true motifs
and sites (:mod:`motifnet.interpret.pattern_step`, which lists its files); logos of each step.

Outputs in ``out``:

- ``filters.meme``: the PPM of every first-layer filter that fired;
- ``tomtom.tsv``: the 5 best database matches of each informative filter (p, E, q);
- ``logos/``: ``filter_<name>.png/.svg`` (filter beside its best match) and
  ``attribution_<k>.png/.svg`` (attribution maps, true site shaded when known);
- ``attributions.npz``: ``attributions`` float32 ``[M, 4, L]``, ``rows`` (data row of each
  map), ``ids``, ``targets`` (output explained), ``tokens``;
- ``interpret.json``: the summary :func:`interpret` returns (``settings``, ``filters``,
  ``attributions`` in detail, ``seconds`` of each step, and the headline numbers at the top
  level, :data:`HEADLINE`);
  ``localization.json``: the same summary under its former name.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from motifnet.errors import MotifnetError
from motifnet.predict import DEFAULT_BATCH_SIZE

if TYPE_CHECKING:
    from torch import nn

    from motifnet.data import SeqData

SUMMARY_FILES = ("interpret.json", "localization.json")
# Former option names (experiment files) -> the names of :class:`Options`.
ALIASES = {"n_sequences": "n_filter_sequences", "n_localize": "n_attributions"}
# Top-level keys of the summary (what reports and the experiment step read).
FILTER_HEADLINE = ("n_filters", "n_informative", "true_motifs", "koo_eddy", "by_motif", "sites_oracle", "note",
                   "method_note")
HEADLINE = FILTER_HEADLINE + ("filter_match_fraction", "motif_recovery_fraction", "recovered",
                              "localization_accuracy", "localization", "attribution_method",
                              "n_patterns", "pattern_recovery_fraction", "pattern_family_recovery_fraction",
                              "seqlet_precision", "in_silico_own_output_fraction", "figures")


@dataclass
class Options:
    """Settings of :func:`interpret` (defaults in brackets).

    filters [True]: step 1 (filters -> Tomtom; skipped for models without a convolution on the
    input); attributions [True]: step 2 (attributions and localization); koo_eddy [False]: also
    Koo & Eddy's two fractions over all filters (``truth.koo_eddy_fractions``; simulated data);
    patterns [False]: step 3 (contributions -> TF-MoDISco patterns -> Tomtom,
    :mod:`motifnet.interpret.pattern_step`) on n_pattern_sequences [2000] sequences with
    n_shuffles [10] dinucleotide-shuffled references each, clustering at most max_seqlets [2000]
    seqlets per sign; in_silico [False]: step 4 (insert each true motif, or each pattern, into
    n_backgrounds [100] shuffled backgrounds; the spacing of the top two,
    :mod:`motifnet.interpret.in_silico_step`);
    database ['JASPAR2024'], collection ['CORE'], tax_group ['vertebrates']: Tomtom targets (a
    JASPAR release, or a motif file path as ``database``; None: every collection / taxon);
    threshold [0.5]: activation fraction; e_value [0.1]: a match needs E below it; method
    ['grad_x_input']: attribution method; n_filter_sequences [2000]: sequences (a seeded random
    sample) used for filter activations; n_attributions [500]: sequences explained (sites
    localized); n_logos [10]: filter logos; n_examples [4]: attribution logos; only_correct
    [True]: localize only correctly predicted sequences; split ['test']: rows of that 'split'
    annotation when the data have one ('all' for every row); seed [0]; batch_size [256];
    formats [('png', 'svg')]; extra [{}]: added to the settings written.
    """

    filters: bool = True
    attributions: bool = True
    koo_eddy: bool = False
    patterns: bool = False
    database: str = "JASPAR2024"
    collection: str | None = "CORE"
    tax_group: str | None = "vertebrates"
    threshold: float = 0.5
    e_value: float = 0.1
    method: str = "grad_x_input"
    n_filter_sequences: int = 2000
    n_attributions: int = 500
    n_pattern_sequences: int = 2000
    n_shuffles: int = 10
    max_seqlets: int = 2000
    in_silico: bool = False
    n_backgrounds: int = 100
    n_logos: int = 10
    n_examples: int = 4
    only_correct: bool = True
    split: str = "test"
    seed: int = 0
    batch_size: int = DEFAULT_BATCH_SIZE
    formats: tuple = ("png", "svg")
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any], **defaults: Any) -> "Options":
        """Options from a mapping (an experiment file's ``interpret:`` section): the names of
        this class, or their former names in :data:`ALIASES`; ``defaults`` fill what the mapping
        leaves out.

        Raises:
            MotifnetError: an unknown name, or a name given twice (once by its former name).
        """
        names = {f.name for f in fields(cls)} - {"extra"}
        unknown = sorted(set(options) - names - set(ALIASES))
        if unknown:
            raise MotifnetError(f"interpret: unknown option(s) {unknown}; expected some of "
                                f"{sorted(names | set(ALIASES))}")
        values = dict(defaults)
        for key, value in options.items():
            name = ALIASES.get(key, key)
            if name in options and name != key:
                raise MotifnetError(f"interpret: {key!r} and {name!r} are the same option; give one")
            values[name] = value
        if "formats" in values:
            values["formats"] = tuple(values["formats"])
        return cls(**values)

    def settings(self) -> dict:
        """The options as written into the summary (``extra`` merged in)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"} | self.extra


def select_rows(data: "SeqData", split: str) -> np.ndarray:
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


def site_targets(data: "SeqData", probabilities: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
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


@functools.lru_cache(maxsize=4)
def _database(name: str, collection: str | None, tax_group: str | None):
    """:func:`~motifnet.interpret.tomtom.load_database`, loaded once per process (experiments
    interpret many models against the same database)."""
    from motifnet.interpret.tomtom import load_database

    return load_database(name, collection, tax_group)


def _progress(message: str, quiet: bool) -> None:
    if not quiet:
        print(message, flush=True)


def interpret(
    model: nn.Module,
    data: "SeqData",
    out: str | Path,
    options: Options | None = None,
    quiet: bool = True,
    task: str | None = None,
) -> dict:
    """Run filters -> Tomtom, attributions and localization for ``model`` on ``data`` and write
    the outputs listed in the module docstring into ``out``.

    Args:
        model: a model taking one-hot ``[B, 4, L]`` and returning logits ``[B, T]``; run where
            it is (its device).
        data: the sequences (with ``sites`` and ``motif_names`` when simulated).
        options: :class:`Options` (default ``Options()``).
        quiet: no progress lines or bars (default True).
        task: the model's task (default ``data.task``).

    Returns:
        The summary written to ``interpret.json``: ``settings``, ``n_rows``, ``filters`` and
        ``attributions`` (when those steps ran), ``seconds`` (wall time of each step that ran,
        logos included) and the :data:`HEADLINE` keys, among them
        ``figures``: ``[{file, caption, kind}]`` (``kind`` 'filters', 'attribution' or 'patterns', ``file``
        relative to ``out``).

    Raises:
        MotifnetError: bad options, an unknown database, data the model cannot read, or data
            with structure channels.
    """
    from motifnet.jsonio import write_json

    if data.structure is not None:
        raise MotifnetError("interpretation reads models of the sequence alone; this model also reads RNA structure "
                            "channels (interpret a model trained without --structure)")
    opts = options or Options()
    out = Path(out)
    (out / "logos").mkdir(parents=True, exist_ok=True)
    rows = select_rows(data, opts.split)
    rng = np.random.default_rng(opts.seed)
    summary: dict[str, Any] = {"settings": opts.settings(), "n_rows": int(len(rows))}
    figures: list[dict] = []
    by_target: dict = {}
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        seconds[stage] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()

    if opts.filters:
        filter_rows = np.sort(rng.choice(rows, min(len(rows), opts.n_filter_sequences), replace=False))
        database = _database(opts.database, opts.collection, opts.tax_group)  # fails early if unknown
        summary["filters"], by_target = _filters(model, data, filter_rows, opts, out, quiet, database, figures)
        lap("filters")
    if opts.attributions:
        summary["attributions"] = _attributions(model, data, rows, opts, out, quiet, by_target, task, figures)
        lap("attributions")
    if opts.patterns:
        from motifnet.interpret.pattern_step import run_patterns

        database = _database(opts.database, opts.collection, opts.tax_group)
        summary["patterns"] = run_patterns(model, data, rows, opts, out, quiet, database, task, figures)
        lap("patterns")
    if opts.in_silico:
        from motifnet.interpret.in_silico_step import run_in_silico

        summary["in_silico"] = run_in_silico(model, data, rows, opts, quiet, summary.get("patterns"))
        lap("in_silico")
    summary["seconds"] = seconds
    summary.update(_headline(summary, figures))
    for name in SUMMARY_FILES:
        write_json(out / name, summary)
    return summary


def _headline(summary: dict, figures: list[dict]) -> dict:
    """The :data:`HEADLINE` keys from the detailed ``filters`` / ``attributions`` sections."""
    filters = summary.get("filters", {})
    attributions = summary.get("attributions", {})
    recovery = filters.get("recovery_best", {})
    headline = {key: filters.get(key) for key in FILTER_HEADLINE}
    for key in ("filter_match_fraction", "motif_recovery_fraction", "recovered"):
        headline[key] = recovery.get(key)
    if "attributions" in summary:
        localization = attributions.get("localization")
        if localization is None and "note" in attributions:
            localization = {"note": attributions["note"]}
        headline.update(localization_accuracy=(localization or {}).get("hit_rate"), localization=localization,
                        attribution_method=attributions.get("method"))
    if "patterns" in summary:
        patterns = summary["patterns"]
        headline.update(n_patterns=len(patterns.get("patterns", [])),
                        pattern_recovery_fraction=patterns.get("recovery", {}).get("motif_recovery_fraction"),
                        pattern_family_recovery_fraction=patterns.get("family_recovery", {}).get(
                            "motif_recovery_fraction"),
                        seqlet_precision=patterns.get("seqlets_vs_sites", {}).get("seqlet_precision"))
    if "in_silico" in summary:
        headline["in_silico_own_output_fraction"] = summary["in_silico"].get("own_output_fraction")
    headline["figures"] = figures
    kept = {key: value for key, value in headline.items() if value is not None}
    if "attributions" in summary:  # None: attributions ran but nothing could be localized
        kept.setdefault("localization_accuracy", None)
    return kept


def _filters(model, data, rows: np.ndarray, opts: Options, out: Path, quiet: bool, database,
             figures: list[dict]) -> tuple[dict, dict]:
    """Step 1. Returns ``(info, by_target)``: the summary section, and per matched database
    motif (upper-case name) the filters whose best match it is with the column of each
    filter's window facing the motif's centre, for activation-based localization."""
    from motifnet.interpret import filters as filter_motifs
    from motifnet.interpret.logos import match_logos
    from motifnet.interpret.tomtom import informative_queries, recovery, tomtom, write_table
    from motifnet.interpret.truth import by_motif, koo_eddy_fractions, sites_oracle, truth_database

    from motifnet.models.ensemble import Ensemble

    members = len(model.members) if isinstance(model, Ensemble) else 0
    model = model.members[0] if members else model  # an ensemble's filters: those of its first member
    try:
        filter_motifs.first_conv(model)
    except MotifnetError:
        return {"note": "no convolution reads the input: filter motifs do not apply"}, {}
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
    if members:
        info["ensemble"] = f"the filters of the first of the ensemble's {members} members"
    keys: list[str] = []
    truth_rows: dict[int, str] = {}  # database row of a true matrix -> the data's motif name
    if data.motif_names:  # the exact matrices the simulator embedded (ids with versions)
        database, truths, keys, info["true_motifs"] = truth_database(data, database, opts.database)
        truth_rows = {database.ids.index(t.id): t.name for t in truths if t.id in database.ids}
        if opts.koo_eddy:
            info["koo_eddy"] = koo_eddy_fractions(found.probabilities(), truths, database, opts.e_value)
    if len(kept) == 0:
        info["note"] = "no informative filter"
        if keys:
            empty = {"filter_match_fraction": 0.0, "motif_recovery_fraction": 0.0, "recovered": {k: [] for k in keys}}
            info["recovery_best"] = info["recovery_any"] = empty
        return info, {}
    names = [found.names[i] for i in kept]
    _progress(f"tomtom: {len(kept)} informative filters vs {opts.database} ({len(database)} motifs)", quiet)
    result = tomtom(queries, database, names, n_jobs=1, reverse_complement=data.alphabet != "RNA")
    write_table(result.table(top=5), out / "tomtom.tsv")
    best = result.best()
    e_best = result.e_values[np.arange(len(kept)), best]
    info["matches"] = {names[q]: {"target": f"{database.ids[best[q]]} {database.names[best[q]]}",
                                  "e_value": float(e_best[q]), "n_sites": int(found.n_sites[kept[q]])}
                       for q in range(len(kept))}
    info["n_significant"] = int((e_best < opts.e_value).sum())
    info["method_note"] = (
        f"Filters: Koo & Eddy activation method (windows above {opts.threshold:g} x each filter's maximum over "
        f"{len(rows)} sequences), trimmed; {len(kept)} of {len(found)} informative filters compared with "
        f"{opts.database} ({len(database)} motifs) by Tomtom; a match needs E < {opts.e_value:g}."
    )
    first: list[int] = []  # logos of the recovered true motifs come first
    if keys:
        for criterion in ("best", "any"):
            info[f"recovery_{criterion}"] = recovery(result, keys, opts.e_value, criterion).as_dict()
        info["by_motif"] = by_motif(result, keys, opts.e_value)
        info["sites_oracle"] = sites_oracle(data.subset(rows), truths, database, opts.e_value)
        for matched in info["recovery_best"]["recovered"].values():
            if matched:
                first.append(min((names.index(f) for f in matched), key=lambda q: e_best[q]))
    significant = [int(q) for q in np.argsort(e_best, kind="stable") if e_best[q] < opts.e_value]
    order = list(dict.fromkeys(first + significant))[: opts.n_logos]
    figures += match_logos(result, queries, order, out / "logos", opts.formats, "filters", "filter_", data.alphabet)
    info["logos"] = [f"filter_{names[q]}" for q in order]
    by_target: dict[str, tuple[list[int], list[float]]] = {}
    for q in range(len(kept)):
        t = best[q]
        if e_best[q] < opts.e_value:
            centre = starts[q] + database.probabilities[t].shape[1] / 2.0 - result.offsets[q, t]
            motif = truth_rows.get(int(t), database.names[t])
            entry = by_target.setdefault(motif.upper(), ([], []))
            entry[0].append(int(kept[q]))
            entry[1].append(float(np.clip(centre, 0, found.length - 1)))
    return info, by_target


def _attributions(model, data, rows: np.ndarray, opts: Options, out: Path, quiet: bool, by_target: dict,
                  task: str | None, figures: list[dict]) -> dict:
    """Step 2: attributions of the sites (or most confident rows) -> localization and logos."""
    from motifnet.interpret.attribution import attribute, position_scores
    from motifnet.interpret.localization import localize
    from motifnet.io.files import atomic_write
    from motifnet.predict import predict

    rng = np.random.default_rng(opts.seed + 1)
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
        top = rows[np.argsort(-full[rows].max(axis=1), kind="stable")]
        explained_rows = np.sort(top[: opts.n_attributions])
        explained = full[explained_rows].argmax(axis=1)
    if len(explained_rows) == 0:
        info["note"] = ("no sequence to explain (none correctly predicted with a site)" if opts.only_correct
                        else "no sequence to explain")
        return info
    tokens = np.asarray(data.tokens[explained_rows])
    _progress(f"attributions: {opts.method} on {len(tokens)} sequences", quiet)
    extra = {"quiet": quiet} if opts.method == "ism" else {}
    maps = attribute(model, tokens, opts.method, explained, batch_size=opts.batch_size, **extra)
    with atomic_write(out / "attributions.npz", "wb") as handle:
        np.savez_compressed(handle, attributions=maps.numpy().astype(np.float32), rows=explained_rows,
                            ids=np.asarray(data.ids)[explained_rows], targets=explained, tokens=tokens)
    predicted = None
    if sites is not None:
        result = localize(position_scores(maps).numpy(), sites)
        predicted = result.predicted_start
        info["localization"] = result.summary()
        info["localization_by_motif"] = {}
        for m in np.unique(sites["motif"]):
            chosen = np.flatnonzero(sites["motif"] == m)
            name = data.motif_names[m] if m < len(data.motif_names) else str(m)
            info["localization_by_motif"][name] = {"n_sites": int(len(chosen)),
                                                   "hit_rate": float(result.hit[chosen].mean())}
        info["activation_localization"] = _activation_localization(model, data, tokens, sites, by_target)
    _attribution_logos(maps, data, explained_rows, explained, sites, predicted, full, opts, out, figures)
    return info


def _attribution_logos(maps, data, explained_rows: np.ndarray, explained: np.ndarray, sites, predicted,
                       scores: np.ndarray, opts: Options, out: Path, figures: list[dict]) -> None:
    """The first ``opts.n_examples`` attribution maps as logos (true site shaded, predicted
    site dashed), into ``out/logos``."""
    from motifnet.interpret.logos import attribution_figure, save_figure

    names = data.target_names
    for k in range(min(opts.n_examples, len(explained_rows))):
        row = explained_rows[k]
        title = f"{data.ids[row]}: {names[explained[k]] if explained[k] < len(names) else explained[k]}"
        site = predicted_site = None
        if sites is not None:
            width = int(sites["end"][k] - sites["start"][k])
            site = (int(sites["start"][k]), int(sites["end"][k]))
            predicted_site = (int(predicted[k]), int(predicted[k]) + width)
            title += f" site {site[0]}-{site[1]} ({'+' if sites['strand'][k] > 0 else '-'})"
            caption = f"{opts.method}; true site shaded, predicted site dashed"
        else:
            title += f" (score {scores[row].max():.3f})"
            caption = f"{opts.method}; one of the most confident sequences (no true site known)"
        figure = attribution_figure(maps[k].numpy(), title, site=site, predicted=predicted_site, alphabet=data.alphabet)
        save_figure(figure, out / "logos" / f"attribution_{k}", opts.formats)
        figures.append({"file": f"logos/attribution_{k}.png", "kind": "attribution", "caption": caption})


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
