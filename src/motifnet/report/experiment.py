"""The report of an experiment run: collects each arm's outputs and writes one HTML page.

Writes ``report.html`` (self-contained), ``results.json`` (one flat row per arm plus the
conclusions) and ``results.md`` (the comparison table in Markdown) into the report folder.
"""

from __future__ import annotations

import csv
import datetime
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from motifnet.io.files import atomic_write
from motifnet.report import conclusions as concl
from motifnet.report import learned_motifs
from motifnet.report import plots
from motifnet.report.html import Report

TABLE_COLUMNS = [
    "model", "sweep", "accuracy", "auroc", "auprc", "filter_match_fraction", "koo_eddy_true_fraction",
    "koo_eddy_jaspar_fraction", "motif_recovery_fraction", "pattern_recovery_fraction", "seqlet_precision",
    "localization_accuracy", "grad_norm_init", "grad_norm_final", "n_parameters", "epochs_run", "train_seconds",
]
FORMATS = {
    "n_parameters": "{:,}", "epochs_run": "{:.3g}", "train_seconds": "{:.1f}", "grad_norm_init": "{:.3g}",
    "grad_norm_final": "{:.3g}",
}


@dataclass
class ArmResult:
    """Everything the report needs about one trained model (one arm of the experiment)."""

    label: str
    sweep_value: Any
    train: dict
    history: dict[str, list[float]]
    metrics: dict
    scores: np.ndarray
    targets: np.ndarray
    task: str
    target_names: list[str]
    interpret: dict | None = None
    figures: list[tuple[bytes, str, str]] = field(default_factory=list)
    replicate: int | None = None

    @classmethod
    def load(cls, arm, data_dir: Path, train_dir: Path, evaluate_dir: Path, interpret_dir: Path | None) -> "ArmResult":
        """Read the step folders of one arm."""
        from motifnet.data import load
        from motifnet.runs import read_json

        test = load(Path(data_dir) / "test", mmap=True)
        interpret, figures = None, []
        if interpret_dir is not None and (Path(interpret_dir) / "interpret.json").exists():
            interpret = read_json(Path(interpret_dir) / "interpret.json")
            for item in interpret.get("figures", []):
                path = Path(interpret_dir) / item["file"]
                if path.exists():
                    figures.append((path.read_bytes(), item.get("caption", ""), item.get("kind", "")))
        return cls(
            label=arm.label,
            sweep_value=arm.sweep_value,
            train=read_json(Path(train_dir) / "train.json"),
            history=read_history(Path(train_dir) / "run" / "history.csv"),
            metrics=read_json(Path(evaluate_dir) / "metrics.json"),
            scores=np.load(Path(evaluate_dir) / "scores.npy", allow_pickle=False),
            targets=np.asarray(test.targets),
            task=test.task,
            target_names=list(test.target_names),
            interpret=interpret,
            figures=figures,
            replicate=getattr(arm, "replicate", None),
        )

    @property
    def name(self) -> str:
        return self.label if self.sweep_value is None else f"{self.label} @ {self.sweep_value}"

    def row(self) -> dict:
        """One flat row of numbers for tables and conclusions."""
        row: dict[str, Any] = {"label": self.label, "sweep_value": self.sweep_value, "model": self.label}
        if self.sweep_value is not None:
            row["sweep"] = self.sweep_value
        if self.replicate is not None:
            row["seed"] = self.replicate
        for key in ("accuracy",):
            if key in self.metrics:
                row[key] = self.metrics[key]
        for key in ("auroc", "auprc"):
            value = self.metrics.get("macro", {}).get(key)
            if value is not None:
                row[key] = value
        for key in ("n_parameters", "epochs_run", "train_seconds"):
            row[key] = self.train.get(key)
        norms = self.train.get("gradient_norms") or []
        if norms:
            row["grad_norm_init"] = norms[0]["first_layer_grad_norm"]
            row["grad_norm_final"] = norms[-1]["first_layer_grad_norm"]
        if self.interpret:
            for key in ("filter_match_fraction", "motif_recovery_fraction", "pattern_recovery_fraction",
                        "seqlet_precision", "localization_accuracy"):
                if self.interpret.get(key) is not None:
                    row[key] = self.interpret[key]
            for key, value in (self.interpret.get("koo_eddy") or {}).items():
                if key.endswith("_fraction"):
                    row[f"koo_eddy_{key}"] = value
        return row


def replicate_means(runs: Sequence[Mapping[str, Any]]) -> list[dict]:
    """Rows of runs that differ only by ``seed``, merged into one row per (label, sweep value):
    each numeric column the mean over the seeds, with its sample standard deviation in
    ``<column>_sd`` and the seeds in ``seeds``. Rows without a seed are returned as they are.
    """
    if not any("seed" in run for run in runs):
        return [dict(run) for run in runs]
    groups: dict[tuple, list[Mapping[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["label"], json.dumps(run.get("sweep_value"), default=str)), []).append(run)
    merged = []
    for group in groups.values():
        row = {key: value for key, value in group[0].items() if key != "seed"}
        row["seeds"] = [run["seed"] for run in group]
        for key in list(row):
            values = [run.get(key) for run in group]
            if key in ("sweep_value", "sweep", "seeds") or not all(concl._finite(v) for v in values):
                continue
            mean = float(np.mean(values))
            if len(set(values)) > 1:
                row[key] = mean
            sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
            row[f"{key}_sd"] = sd if sd > 1e-9 * max(1.0, abs(mean)) else 0.0  # not rounding noise
        merged.append(row)
    return merged


def read_history(path: Path) -> dict[str, list[float]]:
    """history.csv as columns of floats ({} if absent)."""
    if not path.exists():
        return {}
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns: dict[str, list[float]] = {}
    for row in rows:
        for key, value in row.items():
            try:
                columns.setdefault(key, []).append(float(value))
            except (TypeError, ValueError):
                columns.setdefault(key, []).append(float("nan"))
    return columns


def curves(arm: ArmResult) -> dict | None:
    """ROC and PR curves of an arm's test predictions (micro-averaged over targets/classes)."""
    from sklearn.metrics import auc, precision_recall_curve, roc_curve

    scores = np.asarray(arm.scores, dtype=np.float64)
    if arm.task == "multiclass":
        labels = np.eye(len(arm.target_names))[np.asarray(arm.targets, dtype=np.int64)]
    elif arm.task in ("binary", "multilabel"):
        labels = np.asarray(arm.targets).reshape(len(scores), -1)
    else:
        return None
    labels, scores = labels.ravel() > 0.5, scores.ravel()
    if labels.all() or not labels.any():
        return None
    fpr, tpr, _ = roc_curve(labels, scores)
    precision, recall, _ = precision_recall_curve(labels, scores)
    return {"fpr": fpr, "tpr": tpr, "auroc": auc(fpr, tpr), "precision": precision, "recall": recall,
            "auprc": auc(recall, precision)}


def read_reference(spec: Mapping[str, Any], keys: Sequence[str]) -> dict[str, dict[str, float]]:
    """Published numbers to show beside ours: ``{column: {key: value}}``.

    ``spec``: ``file`` (CSV), ``key_column`` (the column holding names), ``columns`` (value
    columns); a row matches a key when its name equals the key or starts with it. The header is
    the first row that contains ``key_column`` (the DeepBind table has a title row first).
    """
    from motifnet.errors import MotifnetError

    path = Path(spec["file"])
    try:
        with open(path, newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as error:
        raise MotifnetError(f"cannot read the reference table: {error.strerror or error}", path=path) from None
    key_column = spec["key_column"]
    header_index = next((i for i, row in enumerate(rows) if key_column in row), None)
    if header_index is None:
        raise MotifnetError(f"no header row with {key_column!r}", path=path)
    header = rows[header_index]
    key_at = header.index(key_column)
    out: dict[str, dict[str, float]] = {column: {} for column in spec.get("columns", [])}
    for row in rows[header_index + 1 :]:
        if len(row) <= key_at:
            continue
        for key in keys:
            if row[key_at] == key or row[key_at].startswith(str(key)):
                for column in out:
                    try:
                        out[column].setdefault(str(key), float(row[header.index(column)]))
                    except (ValueError, IndexError):
                        pass
    return out


def build_report(experiment, arms: Sequence[ArmResult], data_summaries: Mapping[str, dict], folder: Path) -> dict:
    """Write report.html, results.json and results.md for ``arms`` into ``folder``; return a summary."""
    options = dict(experiment.raw.get("report") or {})
    options = experiment.resolve(options)
    sweep = experiment.sweep
    sweep_name = str(sweep.get("name", "sweep")) if sweep else ""
    sweep_values = experiment.sweep_values
    labels = list(dict.fromkeys(arm.label for arm in arms))
    runs = [arm.row() for arm in arms]
    rows = replicate_means(runs)
    first_seed = experiment.seeds[0]
    shown = [arm for arm in arms if arm.replicate == first_seed]
    task = arms[0].task if arms else "binary"
    primary = options.get("primary") or ("accuracy" if task == "multiclass" else "auroc")

    reference = {}
    if options.get("reference") and sweep:
        reference = read_reference(options["reference"], [str(v) for v in sweep_values])
        for row in rows:
            for column, values in reference.items():
                row[column] = values.get(str(row["sweep_value"]))

    sentences = compute_conclusions(rows, options, primary, labels, sweep_values if sweep else [None], sweep_name, reference)

    generated = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    total_train = sum(row.get("train_seconds") or 0 for row in rows)
    from motifnet import __version__

    report = Report(
        f"motifnet · {experiment.title}",
        subtitle=f"{len(labels)} model(s)" + (f" × {len(sweep_values)} {sweep_name} values" if sweep else "")
        + f" · {total_train:.0f} s of training · generated {generated}",
        footer=f"motifnet {__version__}. Every number and sentence on this page was computed from this run's outputs.",
    )
    section = report.section("Conclusions")
    if experiment.description:
        section.text(experiment.description)
    section.bullets(sentences)

    _data_section(report, data_summaries)
    _comparison_section(report, rows, primary, sweep_name, reference)
    if sweep:
        _sweep_section(report, rows, options, primary, labels, sweep_values, sweep, reference)
    _curves_section(report, shown, primary, sweep_values if sweep else [None], sweep_name)
    learned_motifs.sections(report, shown)
    if first_seed is not None:
        report.section("Replicates").note(
            f"Tables and plots show the mean (± sample standard deviation) over the seeds {experiment.seeds}: each seed "
            f"simulates or splits its own data and trains its own models. Curves, confusion matrices and motifs are "
            f"those of seed {first_seed}; results.json holds every run.")

    report.write(folder / "report.html")
    results = {"experiment": experiment.name, "title": experiment.title, "primary": primary, "rows": rows,
               "conclusions": sentences, "generated": generated}
    if first_seed is not None:
        results["runs"] = runs
    from motifnet.runs import write_json

    write_json(folder / "results.json", results)
    with atomic_write(folder / "results.md") as handle:
        handle.write(markdown_table(rows, reference))
    return {"primary": primary, "rows": len(rows)}


def compute_conclusions(rows, options, primary, labels, values, sweep_name, reference) -> list[str]:
    """All conclusion sentences of the report, from the rows' numbers."""
    sentences: list[str] = []
    metrics = list(dict.fromkeys([primary] + list(options.get("metrics", []))))
    if values == [None]:
        sentences += concl.ranking(rows, primary)
        sentences += concl.targets(rows, options.get("targets") or {})
        sentences += concl.comparisons(rows, options.get("compare") or [], primary, [None], "")
        for metric in metrics[1:]:
            sentences += concl.ranking(rows, metric)
        return sentences
    compare_on = set(options.get("compare_on") or [])
    for metric in metrics:
        if metric == primary or metric in concl.NEUTRAL or metric in compare_on:
            sentences += concl.best_per_value(rows, labels, metric, values, sweep_name)
            sentences += concl.comparisons(rows, options.get("compare") or [], metric, values, sweep_name)
        sentences += concl.trends(rows, labels, metric, values, sweep_name)
    for column in reference:
        for label in labels:
            ours = [(row.get(primary), row.get(column)) for row in rows if row.get("label") == label
                    and concl._finite(row.get(primary)) and concl._finite(row.get(column))]
            if ours:
                mean_ours = float(np.mean([o for o, _ in ours]))
                mean_ref = float(np.mean([r for _, r in ours]))
                above = sum(o >= r for o, r in ours)
                sentences.append(
                    f"Mean {concl.metric_name(primary)} over {len(ours)} {sweep_name} values: {label} {mean_ours:.3f} "
                    f"vs {column} {mean_ref:.3f} ({label} at or above {column} on {above} of {len(ours)})."
                )
    return sentences


def _data_section(report: Report, summaries: Mapping[str, dict]) -> None:
    section = report.section("Data")
    rows = []
    for name, summary in summaries.items():
        for split, info in summary["splits"].items():
            per_target = info.get("per_target") or {}
            balance = ", ".join(f"{k} {v}" for k, v in list(per_target.items())[:12])
            rows.append({"data set": name, "split": split, "sequences": info["n"], "length": summary["length"],
                         "GC": info.get("gc"), "true sites": info.get("sites"),
                         "per target (positives / class counts)": balance + (" …" if len(per_target) > 12 else "")})
    first = next(iter(summaries.values()))
    section.text(
        f"Task: {first['task']} over {len(first['target_names'])} target(s) ({', '.join(first['target_names'][:12])}"
        f"{' …' if len(first['target_names']) > 12 else ''}); alphabet {first['alphabet']}; length {first['length']}."
        + (f" Embedded motifs: {', '.join(first['motif_names'])}." if first.get("motif_names") else "")
    )
    section.table(rows, formats={"sequences": "{:,}", "GC": "{:.3f}"})


def _comparison_section(report: Report, rows, primary: str, sweep_name: str, reference) -> None:
    section = report.section("Model comparison")
    present = [c for c in TABLE_COLUMNS + list(reference) if any(row.get(c) is not None for row in rows)]
    finite = [i for i, row in enumerate(rows) if concl._finite(row.get(primary))]
    best = max(finite, key=lambda i: rows[i][primary]) if finite else None
    header = {c: (sweep_name if c == "sweep" else c) for c in present}
    table = [{header[c]: cell(row, c) for c in present} for row in rows]
    section.table(table, columns=[header[c] for c in present], highlight=best)
    section.note(
        f"Bold: the best {concl.metric_name(primary)}. Metrics on the held-out test split; AUROC/AUPRC are macro "
        "averages over targets (one-vs-rest for classes). grad_norm: L2 norm of the loss gradient reaching the first "
        "layer's weights on a fixed training batch, at initialization and after the last epoch."
    )
    if len(rows) > 1 and not any(row.get("sweep_value") is not None for row in rows):
        values = {row["label"]: row[primary] for row in rows if concl._finite(row.get(primary))}
        if values:
            section.figure(plots.metric_bars(values, primary), caption=f"{concl.metric_name(primary)} per model")


def _sweep_section(report: Report, rows, options, primary, labels, values, sweep, reference) -> None:
    section = report.section(f"Trade-off over {sweep.get('label') or sweep.get('name')}")
    metrics = list(dict.fromkeys([primary] + list(options.get("metrics", []))))
    log_metrics = set(options.get("log_metrics", []))
    panels, spreads = [], []
    for metric in metrics:
        lines = {label: concl._series(rows, label, metric, values) for label in labels}
        if any(concl._finite(v) for line in lines.values() for v in line):
            panels.append((metric, lines))
            spreads.append({label: concl._series(rows, label, f"{metric}_sd", values) for label in labels
                            if any(f"{metric}_sd" in row for row in rows)})
    if reference:
        for column in reference:
            panels[0][1][column] = [reference[column].get(str(v), float("nan")) for v in values]
    numeric = all(concl._finite(v) for v in values)
    log_x = bool(options.get("log_x", numeric and max(values) / max(min(values), 1e-9) >= 20))
    for start in range(0, len(panels), 3):
        chunk = panels[start : start + 3]
        fig = plots.sweep_lines(values, {}, chunk, x_label=str(sweep.get("label") or sweep.get("name")), log_x=log_x,
                                log_y=[metric in log_metrics for metric, _ in chunk], spreads=spreads[start : start + 3])
        section.figure(fig, caption=", ".join(concl.metric_name(m) for m, _ in chunk) + " per model over the sweep")


def _curves_section(report: Report, arms: Sequence[ArmResult], primary: str, values: Sequence, sweep_name: str) -> None:
    section = report.section("Training curves")
    metric_column = None
    for arm in arms:
        metric_column = next((c for c in arm.history if c.startswith("valid_") and c != "valid_loss"), metric_column)
    groups = [(v, [a for a in arms if a.sweep_value == v]) for v in values]
    figures = []
    for value, group in groups:
        histories = {arm.label: arm.history for arm in group if arm.history}
        if histories:
            title = "" if value is None else f"{sweep_name} {value}"
            figures.append((plots.training_curves(histories, metric_column), title))
    section.grid(figures, width=None if len(figures) == 1 else 560)

    section = report.section("ROC and precision-recall curves")
    figures = []
    for value, group in groups:
        data = {arm.label: c for arm in group if (c := curves(arm)) is not None}
        if data:
            figures.append((plots.roc_pr_curves(data), "" if value is None else f"{sweep_name} {value}"))
    if figures:
        section.note("Curves pool every (sequence, target) pair (micro-average; one-vs-rest for classes).")
    section.grid(figures, width=None if len(figures) == 1 else 560)

    multi = [a for a in arms if a.task in ("multiclass", "multilabel") and len(a.target_names) > 1]
    if multi:
        section = report.section("Per-target AUROC" + (" and confusion matrices" if multi[0].task == "multiclass" else ""))
        per_target = {a.name: [a.metrics.get("per_target", {}).get(t, {}).get("auroc", float("nan")) for t in a.target_names]
                      for a in multi}
        section.figure(plots.per_target_heatmap(per_target, multi[0].target_names), caption="Test AUROC per target")
        last = [a for a in multi if a.sweep_value == values[-1]]
        matrices = {a.label: np.asarray(a.metrics["confusion_matrix"]) for a in last if "confusion_matrix" in a.metrics}
        if matrices:
            title = "" if values[-1] is None else f" ({sweep_name} {values[-1]})"
            section.figure(plots.confusion_matrices(matrices, last[0].target_names),
                           caption=f"Confusion matrices on the test split, rows normalised{title}")


def markdown_table(rows: Sequence[Mapping[str, Any]], reference: Mapping[str, Any] = ()) -> str:
    """The comparison table as Markdown (numbers as produced)."""
    present = [c for c in TABLE_COLUMNS + list(reference) if any(row.get(c) is not None for row in rows)]
    lines = ["| " + " | ".join(present) + " |", "|" + "---|" * len(present)]
    for row in rows:
        lines.append("| " + " | ".join(cell(row, column) for column in present) + " |")
    return "\n".join(lines) + "\n"


def _plain(value: Any, fmt: str | None = None) -> str:
    """A number as text (``fmt``, else 3 decimals, 4 significant digits when tiny or huge); '–' for None/NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if fmt and isinstance(value, (int, float)):
        return fmt.format(value)
    if isinstance(value, float):
        return f"{value:.4g}" if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e4) else f"{value:.3f}"
    return str(value)


def cell(row: Mapping[str, Any], column: str) -> str:
    """One table cell as text, followed by ``± sd`` when the row holds a replicate standard
    deviation for ``column`` (see :func:`replicate_means`)."""
    fmt = FORMATS.get(column)
    text = _plain(row.get(column), fmt)
    sd = row.get(f"{column}_sd")
    if column not in ("n_parameters", "epochs_run") and concl._finite(sd) and len(row.get("seeds") or ()) > 1:
        text += f" ± {_plain(sd, fmt) if fmt else f'{sd:.2g}'}"
    return text


def results_summary(results_path: Path) -> str:
    """A short text summary of a results.json (for the CLI)."""
    results = json.loads(Path(results_path).read_text())
    return "\n".join(results.get("conclusions", []))
