"""Variant effects: the model's score of the window centred on a variant, reference vs alternative.

For each VCF record and each ALT allele, the reference window is the ``L`` genome bases centred
on the REF allele and the alternative window the ``L`` bases centred on the ALT allele in the
alternative haplotype (REF replaced by ALT: SNVs, MNVs and small indels up to ``L // 2`` bases).
Near a chromosome end the window is shifted inwards (``window_start`` says where it is; for an
SNV both windows then still cover the same bases). Both windows are scored with
:func:`motifnet.scan.windows.score_windows` (both strands for DNA by default, as in a scan).

Problems are reported per record in the ``status`` column, never raised:

- ``ok``; ``ref_mismatch`` (the genome's bases at POS differ from REF; ``detail`` gives them);
- ``chrom_not_in_genome``; ``outside_chrom`` (POS beyond the chromosome end);
- ``unsupported_allele`` (symbolic ALT such as ``<DEL>`` or ``*``); ``indel_too_long``
  (REF or ALT longer than ``L // 2``); ``chrom_too_short`` (fewer than ``L`` bases to score).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from motifnet.errors import MotifnetError
from motifnet.io.files import atomic_write
from motifnet.io.vcf import VcfRecord, is_sequence_allele
from motifnet.sequence import decode, encode
from motifnet.devices import DEFAULT_BATCH_SIZE

if TYPE_CHECKING:
    import torch
    from torch import nn


@dataclass
class VariantScore:
    """The scores of one ALT allele of one VCF record.

    Attributes:
        record: the VCF record; alt: the ALT allele scored; status / detail: see the module doc;
        window_start: 0-based start of the reference window (-1 if not scored);
        ref_logits, alt_logits: float32 ``[T]`` (None unless status is 'ok').
    """

    record: VcfRecord
    alt: str
    status: str
    detail: str = ""
    window_start: int = -1
    ref_logits: np.ndarray | None = None
    alt_logits: np.ndarray | None = None


def variant_windows(tokens: np.ndarray, record: VcfRecord, alt: str, window: int) -> tuple[str, str, int, np.ndarray | None, np.ndarray | None]:
    """Build the reference and alternative windows of one allele.

    Args:
        tokens: uint8 ``[n]`` of the chromosome.

    Returns:
        ``(status, detail, window_start, ref_tokens [L] or None, alt_tokens [L] or None)``.
    """
    n = len(tokens)
    p, r = record.pos - 1, len(record.ref)
    if not is_sequence_allele(alt):
        return "unsupported_allele", f"ALT {alt!r} is not spelled in bases", -1, None, None
    if p + r > n:
        return "outside_chrom", f"POS {record.pos} is beyond the chromosome end ({n} bp)", -1, None, None
    genome = decode(tokens[p : p + r])
    if genome != record.ref.replace("U", "T"):
        return "ref_mismatch", f"genome has {genome}", -1, None, None
    if max(r, len(alt)) > window // 2:
        return "indel_too_long", f"alleles longer than {window // 2} bp (half the window)", -1, None, None
    if n < window or n - r + len(alt) < window:
        return "chrom_too_short", f"chromosome of {n} bp, window of {window}", -1, None, None
    ref_start = min(max(0, p - (window - r) // 2), n - window)
    left = tokens[max(0, p - window) : p]
    haplotype = np.concatenate([left, encode(alt), tokens[p + r : p + r + window]])
    alt_start = min(max(0, len(left) - (window - len(alt)) // 2), len(haplotype) - window)
    return "ok", "", ref_start, tokens[ref_start : ref_start + window], haplotype[alt_start : alt_start + window]


def score_variants(
    model: nn.Module,
    genome: Iterable[tuple[str, str]],
    records: Sequence[VcfRecord],
    window: int,
    strands: str | None = None,
    alphabet: str = "DNA",
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: torch.device | str | None = None,
) -> list[VariantScore]:
    """Score every ALT allele of ``records`` against the genome (streamed, one chromosome at a time).

    Args:
        model: in eval mode.
        genome: ``(id, sequence)`` records, e.g. :func:`motifnet.io.fasta.iter_fasta`.
        records: VCF records (any order; results follow it, one row per ALT allele).
        window: window length L (the model's input length).
        strands: see :mod:`motifnet.strands` (default: both for DNA, forward for RNA; 'both'
            takes the larger logit of the two strands, as a scan does).

    Returns:
        One :class:`VariantScore` per (record, ALT), in input order.

    Raises:
        MotifnetError: no record lies on a chromosome of the genome (wrong genome or naming,
            e.g. 'chr1' vs '1'), or errors of the model or genome reader.
    """
    from motifnet.scan.windows import score_windows
    from motifnet.strands import default_strands

    strands = strands or default_strands(alphabet, genome=True)
    results = [VariantScore(rec, alt, "chrom_not_in_genome", "chromosome not in the genome FASTA")
               for rec in records for alt in rec.alts]
    by_chrom: dict[str, list[int]] = {}
    for index, result in enumerate(results):
        by_chrom.setdefault(result.record.chrom, []).append(index)
    found = False
    for chrom, sequence in genome:
        if chrom not in by_chrom:
            continue
        found = True
        tokens = encode(sequence, record=chrom)
        pending: list[int] = []
        ref_rows: list[np.ndarray] = []
        alt_rows: list[np.ndarray] = []
        for index in by_chrom[chrom]:
            result = results[index]
            status, detail, start, ref, alt = variant_windows(tokens, result.record, result.alt, window)
            result.status, result.detail, result.window_start = status, detail, start
            if status == "ok":
                pending.append(index)
                ref_rows.append(ref)
                alt_rows.append(alt)
        if pending:
            both = np.stack(ref_rows + alt_rows)
            logits, _ = score_windows(model, both, strands, alphabet, batch_size, device)
            for k, index in enumerate(pending):
                results[index].ref_logits = logits[k]
                results[index].alt_logits = logits[len(pending) + k]
    if records and not found:
        chroms = sorted(by_chrom)[:5]
        raise MotifnetError(
            f"no VCF record lies on a chromosome of the genome (VCF chromosomes: {', '.join(chroms)}); "
            "check that the VCF and the FASTA use the same names (e.g. 'chr1' vs '1')"
        )
    return results


def write_variants_tsv(
    path: str | os.PathLike, results: Sequence[VariantScore], target_names: Sequence[str], task: str,
    regression_loss: str = "mse",
) -> Path:
    """Write one row per allele, atomically: chrom, pos, id, ref, alt, status, detail,
    window_start, then ``ref_<target>``, ``alt_<target>``, ``delta_<target>`` (alt - ref) per
    target, as probabilities (:func:`motifnet.predict.probabilities` by ``task``).
    Scores are empty when the status is not 'ok'."""
    from motifnet.predict import probabilities

    columns = ["chrom", "pos", "id", "ref", "alt", "status", "detail", "window_start"]
    for name in target_names:
        columns += [f"ref_{name}", f"alt_{name}", f"delta_{name}"]
    with atomic_write(path) as handle:
        handle.write("\t".join(columns) + "\n")
        for result in results:
            rec = result.record
            row = [rec.chrom, str(rec.pos), rec.id, rec.ref, result.alt, result.status, result.detail,
                   str(result.window_start)]
            if result.ref_logits is not None:
                ref = probabilities(result.ref_logits[None], task, regression_loss)[0]
                alt = probabilities(result.alt_logits[None], task, regression_loss)[0]
                for a, b in zip(ref, alt):
                    row += [f"{a:.6g}", f"{b:.6g}", f"{b - a:.6g}"]
            else:
                row += [""] * (3 * len(target_names))
            handle.write("\t".join(row) + "\n")
    return Path(path)
