"""The report's sections on what the models learned: filter motifs, TF-MoDISco patterns,
in-silico experiments and attribution logos, from each arm's ``interpret.json`` and figures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from motifnet.report import plots
from motifnet.report.html import Report

if TYPE_CHECKING:
    from motifnet.report.experiment import ArmResult


def sections(report: Report, arms: Sequence["ArmResult"]) -> None:
    """The sections of the arms that ran the interpretation step: filters, patterns, in-silico
    experiments, attributions."""
    interpreted = [a for a in arms if a.interpret]
    if not interpreted:
        return
    section = report.section("Learned motifs")
    rows = []
    for arm in interpreted:
        info = arm.interpret
        recovered = info.get("recovered") or {}
        rows.append({
            "model": arm.name,
            "filters": info.get("n_filters"),
            "informative": info.get("n_informative"),
            "matching a true motif": info.get("filter_match_fraction"),
            "true motifs recovered": (f"{sum(bool(v) for v in recovered.values())} / {len(recovered)}" if recovered else None),
            "localization accuracy": info.get("localization_accuracy"),
            "note": info.get("note"),
        })
    section.table(rows)
    notes = [a.interpret.get("method_note") for a in interpreted if a.interpret.get("method_note")]
    if notes:
        section.note(notes[0])
    for arm in interpreted:
        recovered = arm.interpret.get("recovered") or {}
        if recovered:
            missing = [m for m, f in recovered.items() if not f]
            section.text(
                f"{arm.name}: recovered {sum(bool(v) for v in recovered.values())} of {len(recovered)} true motifs"
                + (f"; not recovered: {', '.join(missing)}." if missing else " (all).")
            )
    filter_figures = [(data, f"{arm.name}: {caption}") for arm in interpreted for data, caption, kind in arm.figures if kind == "filters"]
    section.grid(filter_figures)
    _patterns_section(report, interpreted)
    _in_silico_section(report, interpreted)
    attribution_figures = [(data, f"{arm.name}: {caption}") for arm in interpreted for data, caption, kind in arm.figures
                           if kind == "attribution"]
    if attribution_figures:
        section = report.section("Where the models look (attributions)")
        section.note("Attribution logos: the height of each letter is its contribution to the prediction of the "
                     "sequence's class (negative: below the axis); where the true embedded site is known it is "
                     "shaded, and the best-scoring window of the same width is dashed.")
        section.grid(attribution_figures)


def _patterns_section(report: Report, interpreted: Sequence["ArmResult"]) -> None:
    """TF-MoDISco patterns of the arms that ran the patterns step: counts, recovery, logos."""
    with_patterns = [a for a in interpreted if "n_patterns" in a.interpret]
    if not with_patterns:
        return
    section = report.section("Motifs from contributions (TF-MoDISco)")
    section.note("Patterns: TF-MoDISco (modisco-lite) clusters of seqlets cut from DeepLIFT/DeepSHAP contributions "
                 "(integrated gradients for recurrent models) against dinucleotide-shuffled references, each "
                 "trimmed and compared with the database by Tomtom; a true motif is recovered when it is the best "
                 "match (E below the threshold) of a pattern, its family when that match shares its JASPAR TF family. Seqlet precision: the fraction of seqlet cores "
                 "centred on a true site.")
    section.table([{"model": a.name, "patterns": a.interpret.get("n_patterns"),
                    "true motifs recovered": a.interpret.get("pattern_recovery_fraction"),
                    "true motifs' families recovered": a.interpret.get("pattern_family_recovery_fraction"),
                    "seqlet precision": a.interpret.get("seqlet_precision")} for a in with_patterns])
    section.grid([(data, f"{arm.name}: {caption}") for arm in with_patterns for data, caption, kind in arm.figures
                  if kind == "patterns"])


def _in_silico_section(report: Report, interpreted: Sequence["ArmResult"]) -> None:
    """Marginalization heatmaps and the cooperativity scan of the arms that ran the in-silico step."""
    with_runs = [a for a in interpreted if (a.interpret.get("in_silico") or {}).get("marginalization")]
    if not with_runs:
        return
    section = report.section("In-silico experiments")
    first = with_runs[0].interpret["in_silico"]
    widest = max((max(a.interpret["in_silico"]["spacing"]["spacings"]) for a in with_runs
                  if a.interpret["in_silico"].get("spacing")), default=0)
    section.note(f"Each motif's consensus inserted at the centre of {first['n_backgrounds']} dinucleotide-shuffled "
                 "test sequences: the mean change of each output's logit (marginalization). Then the two motifs "
                 f"with the largest effects inserted together, the second 0 to {widest} bp after the first, as given (++) "
                 "or reverse-complemented (+-): the interaction is the change with both minus the sum of the "
                 "changes of each alone (0: they act independently).")
    section.table([{"model": a.name, "motifs inserted": len(a.interpret["in_silico"]["marginalization"]),
                    "raising their own output most": a.interpret["in_silico"].get("own_output_fraction")}
                   for a in with_runs])
    for arm in with_runs:
        info = arm.interpret["in_silico"]
        changes = {row["motif"]: row["mean_change"] for row in info["marginalization"]}
        section.figure(plots.per_target_heatmap(changes, info["target_names"], "logit change", diverging=True),
                       caption=f"{arm.name}: logit change per output when each motif is inserted")
        spacing = info.get("spacing")
        if spacing:
            lines = dict(zip(spacing["orientations"], spacing["interaction"]))
            section.figure(plots.sweep_lines(spacing["spacings"], {}, [("interaction (logit)", lines)],
                                             x_label=f"bp from {spacing['first']} to {spacing['second']}"),
                           caption=f"{arm.name}: interaction of {spacing['first']} and {spacing['second']} on the "
                                   f"{spacing['output']} output by spacing and orientation")
