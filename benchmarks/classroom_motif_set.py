"""Is each classroom motif distinct from the other nine? Tomtom of every classroom matrix against
JASPAR2024 CORE vertebrates (E = p-value x the database's size, as in motif recovery).

For each motif: the E-value of its closest other classroom motif (the set has one motif per
family when every such E is above 1), and its closest JASPAR matrix of another name (its family
neighbour, which a recovered filter might match instead).

    python benchmarks/classroom_motif_set.py

Prints a markdown table; a few seconds.
"""

from __future__ import annotations

import numpy as np


def main() -> None:
    from motifnet.interpret.tomtom import load_database, tomtom
    from motifnet.jaspar import fetch_many
    from motifnet.simulate import CLASSROOM_MOTIFS

    motifs = fetch_many(CLASSROOM_MOTIFS)
    database = load_database()
    result = tomtom([m.probabilities for m in motifs], database, [m.name for m in motifs], n_jobs=1)
    row_of = {motif_id: i for i, motif_id in enumerate(database.ids)}
    print(f"{len(motifs)} classroom motifs against {len(database)} JASPAR2024 CORE vertebrate matrices\n")
    print("| motif | closest other classroom motif | its E | closest matrix of another name | its E |")
    print("|---|---|---|---|---|")
    worst = np.inf
    for q, motif in enumerate(motifs):
        others = [row_of[m.id] for m in motifs if m.id != motif.id]
        closest = min(others, key=lambda t: result.e_values[q, t])
        worst = min(worst, result.e_values[q, closest])
        foreign = [t for t in range(len(database)) if database.names[t].upper() != motif.name.upper()]
        neighbour = min(foreign, key=lambda t: result.e_values[q, t])
        print(f"| {motif.id} {motif.name} | {database.ids[closest]} {database.names[closest]} | "
              f"{result.e_values[q, closest]:.2g} | {database.ids[neighbour]} {database.names[neighbour]} | "
              f"{result.e_values[q, neighbour]:.2g} |")
    verdict = "one motif per family" if worst > 1 else "some motifs match each other"
    print(f"\nSmallest E-value between two classroom motifs: {worst:.2g} ({verdict}).")


if __name__ == "__main__":
    main()
