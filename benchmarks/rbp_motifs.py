"""Which known RNA-binding motifs the filters of an ``rbp_clip`` run learned, per protein.

RBP-31 has no motif collection that ships offline, and Tomtom against JASPAR (DNA factors)
says little about RNA-binding proteins. This counts, for each experiment of a finished
``motifnet run src/motifnet/examples/rbp_clip.yaml`` (default folder runs/rbp_clip), the
first-layer filters whose consensus (most probable base per column of ``filters.meme``)
contains each known motif: PUM2's UGUAnAUA, QKI's ACUAAY, poly-U (HNRNPC, TIA1, ELAVL1) and
the AU-rich element AUUUA (ELAVL1). A motif learned for its own protein and not for the others
is the check.

    python benchmarks/rbp_motifs.py [--run runs/rbp_clip]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

KNOWN = {"UGUAnAUA (PUM2)": "UGUA.AUA", "ACUAAY (QKI)": "ACUAA[CU]", "UUUUUU (poly-U)": "UUUUUU",
         "AUUUA (AU-rich)": "AUUUA"}


def consensus_counts(meme: Path) -> dict[str, int]:
    """``{motif: number of filters whose consensus contains it}`` plus ``'filters'``."""
    from motifnet.io.motif_files import read_meme

    filters = [m.consensus.replace("T", "U") for m in read_meme(meme)]
    counts = {name: sum(bool(re.search(pattern, c)) for c in filters) for name, pattern in KNOWN.items()}
    return {"filters": len(filters), **counts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, default=Path("runs/rbp_clip"), help="the experiment's output folder")
    args = parser.parse_args(argv)
    folders = sorted((args.run / "interpret").glob("*/filters.meme"))
    if not folders:
        raise SystemExit(f"{args.run}: no interpret/*/filters.meme (run rbp_clip.yaml first)")
    print("| experiment | filters | " + " | ".join(KNOWN) + " |")
    print("|---|---:|" + "---:|" * len(KNOWN))
    for meme in folders:
        counts = consensus_counts(meme)
        name = meme.parent.name.split("_", 1)[-1]
        print(f"| {name} | {counts['filters']} | " + " | ".join(str(counts[k]) for k in KNOWN) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
