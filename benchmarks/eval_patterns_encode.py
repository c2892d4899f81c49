"""Motif discovery on real ChIP-seq: TF-MoDISco patterns of DeepBind on the 10 ENCODE experiments.

For each experiment in ../shared/data/deepbind_encode: DeepBind trained by ``eval_encode.py``'s
recipe on the AC file, then ``motifnet.interpret.pipeline.interpret`` with the patterns step only
(DeepLIFT/DeepSHAP contributions of a seeded 2,000 of the AC peaks against 10 dinucleotide
shuffles each -> TF-MoDISco -> Tomtom against JASPAR2024 CORE vertebrates). The check: is the
ChIP'd factor's own JASPAR motif, or one of its JASPAR TF family, the best match (E < 0.1) of
one of the top 3 positive patterns (modisco's order: most seqlets first)? Each model's test AUROC
on the B file is recorded too (the training has no time limit, so these are also
``eval_encode.py``'s numbers without ``--max-seconds``).

Writes benchmarks/results/encode_patterns.json and .md.

    python benchmarks/eval_patterns_encode.py --threads 1
    python benchmarks/eval_patterns_encode.py --experiments CTCFL SP1
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import machine  # noqa: E402
from eval_encode import RESULTS, experiments, result_row, train_one  # noqa: E402

TOP = 3
RELEASE = "JASPAR2024"


def factor_of(prefix: str) -> str:
    """The ChIP'd factor: the first field of ``TF_CellLine_Antibody_Lab``."""
    return prefix.split("_")[0]


def own_match(factor: str, match_id: str, database, family_of) -> str | None:
    """'factor' when ``match_id`` is one of the factor's matrices, 'family' when it shares a TF
    family with one of them, else None."""
    from motifnet.interpret.tomtom import matching

    own = {database.ids[i] for i in matching(database, factor)}
    if match_id in own:
        return "factor"
    families = set().union(*(family_of.get(i, frozenset()) for i in own)) if own else set()
    return "family" if families & family_of.get(match_id, frozenset()) else None


def discover_one(prefix: str, out: Path, quick: bool = False) -> tuple[dict, list[dict]]:
    """Train, run the patterns step on the AC peaks, and score the top patterns.

    Returns:
        ``(row, top)``: the result row and each top pattern's match in detail."""
    from motifnet.interpret.pipeline import Options, _database, interpret
    from motifnet.jaspar import families

    model, train, test, result, train_seconds = train_one(prefix, quick=quick)
    trained = result_row(prefix, model, train, test, result, train_seconds)
    options = Options(filters=False, attributions=False, patterns=True, split="all",
                      n_pattern_sequences=200 if quick else 2000, n_shuffles=3 if quick else 10, formats=("png",))
    start = time.perf_counter()
    summary = interpret(model, train, out / prefix, options)
    pattern_seconds = time.perf_counter() - start
    database = _database(RELEASE, "CORE", "vertebrates")
    family_of = families(RELEASE)
    factor = factor_of(prefix)
    top = [p for p in summary["patterns"].get("patterns", []) if p["name"].startswith("pos")][:TOP]
    scored = []
    for pattern in top:
        match_id = pattern.get("match", "").split(" ")[0]
        hit = own_match(factor, match_id, database, family_of) if pattern.get("e_value", 1.0) < options.e_value else None
        scored.append({"pattern": pattern["name"], "seqlets": pattern["n_seqlets"], "consensus": pattern["consensus"],
                       "match": pattern.get("match"), "e_value": pattern.get("e_value"), "hit": hit})
    hits = [s["hit"] for s in scored if s["hit"]]
    row = {"experiment": prefix, "factor": factor, "n_patterns": len(summary["patterns"].get("patterns", [])),
           "found": bool(hits), "how": "factor" if "factor" in hits else (hits[0] if hits else None),
           "top_matches": "; ".join(f"{t['match'] or '-'} ({t['seqlets']})" for t in scored) or "no pattern",
           "test_auc": trained["auc"], "epochs": trained["epochs"], "best_epoch": trained["best_epoch"],
           "train_seconds": trained["train_seconds"], "pattern_seconds": round(pattern_seconds, 1)}
    return row, scored


def markdown(rows: list[dict]) -> str:
    lines = ["| experiment | factor | found in the top 3 | top 3 patterns: best match (seqlets) | test AUROC | train s | "
             "patterns s |", "|---|---|---|---|---:|---:|---:|"]
    for r in rows:
        found = f"yes ({r['how']})" if r["found"] else "no"
        lines.append(f"| {r['experiment']} | {r['factor']} | {found} | {r['top_matches']} | {r['test_auc']:.3f} | "
                     f"{r['train_seconds']:.0f} | "
                     f"{r['pattern_seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def run(names: list[str] | None = None, quick: bool = False, out: Path | None = None) -> dict:
    chosen = [e for e in experiments() if not names or any(e.startswith(n) for n in names)]
    if quick:
        chosen = chosen[:1]
    load_before = os.getloadavg()[0]
    rows, details = [], {}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(out or scratch)
        for prefix in chosen:
            row, details[prefix] = discover_one(prefix, folder, quick)
            rows.append(row)
            print(f"{prefix}: {'found' if row['found'] else 'not found'} ({row['top_matches']})", file=sys.stderr,
                  flush=True)
    found = sum(r["found"] for r in rows)
    notes = (f"DeepBind (eval_encode.py's recipe) per experiment; patterns from {'200' if quick else '2,000'} AC peaks, "
             f"DeepLIFT/DeepSHAP against dinucleotide shuffles, TF-MoDISco, Tomtom vs {RELEASE} CORE vertebrates "
             f"(E < 0.1). Found: the factor's own matrix or one of its JASPAR TF family is the best match of one of "
             f"the top {TOP} positive patterns: {found} of {len(rows)}. Load average {load_before:.2f} before, "
             f"{os.getloadavg()[0]:.2f} after.")
    result = {"title": f"TF-MoDISco patterns of DeepBind on {len(rows)} ENCODE ChIP-seq experiments",
              "rows": rows, "top_patterns": details, "notes": notes, "found": found, "machine": machine()}
    if not quick:
        from motifnet.io.files import atomic_write
        from motifnet.runs import write_json

        write_json(RESULTS / "encode_patterns.json", result)
        with atomic_write(RESULTS / "encode_patterns.md") as handle:
            handle.write(f"# {result['title']}\n\n{markdown(rows)}\n{notes}\n")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--experiments", nargs="*", help="prefixes to run (default: all ten)")
    parser.add_argument("--threads", default="auto", help="torch CPU threads (a number or auto)")
    parser.add_argument("--out", type=Path, help="keep each experiment's interpret folder here")
    parser.add_argument("--quick", action="store_true", help="one experiment, one epoch, 200 sequences (smoke test)")
    args = parser.parse_args(argv)
    from motifnet.devices import set_cpu_threads

    set_cpu_threads(args.threads)
    result = run(args.experiments, args.quick, args.out)
    print(markdown(result["rows"]))
    print(result["notes"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
