"""How high can test accuracy go on the classroom data set? The Bayes-optimal classifier, the PWM
oracle, and the per-class errors of trained models.

The classroom generator (``motifnet.simulate.classroom``) is fully known: uniform i.i.d. background,
one instance of the class's JASPAR motif at a uniform start (``0 .. L - W``) on a random strand,
drawn from the motif's probabilities and kept only when its log-odds score reaches the p < 1e-4
threshold (rejection sampling); the 'none' class has no instance; classes are balanced. So the
posterior of every class is computable exactly:

    P(x | motif k) / P(x | none) = 1 / (2 (L - W + 1)) * sum over starts and strands of
                                   p_k(y) 1[score_k(y) >= t_k] / (Z_k 0.25^W)

with ``y`` the window read in the motif's orientation, ``p_k`` the product of the motif's column
probabilities, ``t_k`` the sampling threshold and ``Z_k = P(score_k(y) >= t_k)`` under ``p_k``
(estimated from 2,000,000 samples per motif). The arg-max of the posterior is the Bayes-optimal
classifier: no model can beat its expected accuracy, ``E[max_k P(k | x)]``, which is estimated
here on a fresh sample of ``--n-fresh`` sequences per class (the test split's own Bayes accuracy
is also shown).

Also: the PWM oracle of docs/models.md (per motif, the max and log-sum-exp of the log-odds window
scores on both strands; multinomial logistic regression trained on the train split), and, for each
model of a classroom run folder (``motifnet run examples/classroom.yaml --out DIR``), its
per-class recall, its most frequent confusions, and whether its errors are sequences the Bayes
classifier also gets wrong.

    python benchmarks/classroom_ceiling.py --run runs/demo            # a finished classroom run
    python benchmarks/classroom_ceiling.py                             # simulate; no model errors

Prints markdown (and writes ``--json`` if given). Runs in about a minute on one core.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

PVALUE = 1e-4  # motifnet.simulate.classroom's default site_pvalue
TOLERANCE = 1e-9  # the rejection sampler keeps scores >= threshold - 1e-9


def motif_log_ratios(tokens: np.ndarray, motif, z_samples: int = 2_000_000, seed: int = 0,
                     chunk: int = 4000) -> np.ndarray:
    """``log P(x | motif) - log P(x | none)`` float64 ``[N]`` for tokens ``[N, L]`` (uniform background)."""
    from motifnet.motifs import _score_tokens

    width = motif.width
    table = motif.log_odds(background=None)  # the table the sampler thresholds with
    threshold = motif.threshold(PVALUE, None)
    with np.errstate(divide="ignore"):
        log_p = np.log(motif.probabilities) - np.log(0.25)  # [4, W], -inf where p = 0
    rng = np.random.default_rng(seed)
    draws = motif.sample(z_samples, rng)
    log_z = np.log(np.mean(_score_tokens(table, draws) >= threshold - TOLERANCE))
    positions = tokens.shape[1] - width + 1
    columns = np.arange(width)
    out = np.empty(len(tokens))
    for start in range(0, len(tokens), chunk):
        windows = np.lib.stride_tricks.sliding_window_view(tokens[start : start + chunk], width, axis=1)
        windows = windows.astype(np.int64)  # [n, P, W]
        terms = []
        for y in (windows, 3 - windows[..., ::-1]):  # + strand, and - strand read as the motif
            score = table[y, columns].sum(axis=-1)
            log_lik = log_p[y, columns].sum(axis=-1)
            terms.append(np.where(score >= threshold - TOLERANCE, log_lik, -np.inf))
        both = np.concatenate(terms, axis=1)  # [n, 2P]
        peak = both.max(axis=1, keepdims=True)
        safe = np.where(np.isfinite(peak), peak, 0.0)
        with np.errstate(divide="ignore"):
            total = np.log(np.exp(both - safe).sum(axis=1)) + safe[:, 0]
        out[start : start + chunk] = total - np.log(2 * positions) - log_z
    return out


def bayes_posterior(tokens: np.ndarray, motifs) -> np.ndarray:
    """Class posteriors float64 ``[N, len(motifs) + 1]`` (the last column: 'none'), equal priors."""
    logits = np.column_stack([motif_log_ratios(tokens, m) for m in motifs] + [np.zeros(len(tokens))])
    logits -= logits.max(axis=1, keepdims=True)
    posterior = np.exp(logits)
    return posterior / posterior.sum(axis=1, keepdims=True)


def pwm_features(tokens: np.ndarray, motifs) -> np.ndarray:
    """The PWM oracle's features ``[N, 2 * len(motifs)]``: per motif, max and log-sum-exp (base 2)
    of the log-odds scores of all windows on both strands."""
    from motifnet.sequence import one_hot

    x = one_hot(tokens)
    features = []
    for motif in motifs:
        scores = motif.score(x).reshape(len(tokens), -1).double().numpy()  # bits, [N, 2P]
        peak = scores.max(axis=1)
        lse = peak + np.log2(np.exp2(scores - peak[:, None]).sum(axis=1))
        features += [peak, lse]
    return np.column_stack(features)


def pwm_oracle(train, test, motifs) -> np.ndarray:
    """Predicted classes ``[N_test]`` of the logistic-regression PWM oracle trained on ``train``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=10.0))
    model.fit(pwm_features(train.tokens, motifs), np.asarray(train.targets))
    return model.predict(pwm_features(test.tokens, motifs))


def confusions(truth: np.ndarray, predicted: np.ndarray, names: list[str], top: int = 5) -> list[str]:
    """The ``top`` most frequent (true -> predicted) errors as 'TRUE->PRED n'."""
    pairs: dict[tuple[int, int], int] = {}
    for t, p in zip(truth[truth != predicted], predicted[truth != predicted]):
        pairs[(int(t), int(p))] = pairs.get((int(t), int(p)), 0) + 1
    ranked = sorted(pairs.items(), key=lambda item: -item[1])[:top]
    return [f"{names[t]}->{names[p]} {n}" for (t, p), n in ranked]


def per_class_recall(truth: np.ndarray, predicted: np.ndarray, n_classes: int) -> list[float]:
    return [float(np.mean(predicted[truth == k] == k)) for k in range(n_classes)]


def analyse(run: Path | None, n_per_class: int, n_fresh: int, seed: int) -> dict:
    from motifnet.data import load
    from motifnet.jaspar import resolve
    from motifnet.simulate import CLASSROOM_MOTIFS, classroom

    motifs = resolve(CLASSROOM_MOTIFS, "JASPAR2024")
    if run is not None:
        train, test = load(run / "data" / "main" / "train"), load(run / "data" / "main" / "test")
    else:
        data = classroom(n_per_class=n_per_class, seed=seed)
        split = data.annotations["split"]
        train, test = (data.subset(np.flatnonzero(split == name)) for name in ("train", "test"))
    names = list(test.target_names)
    truth = np.asarray(test.targets)
    sites = test.sites
    near_end = np.zeros(len(truth), dtype=bool)  # the class's site lies within 3 bp of an end
    near_end[sites["sequence"]] = (sites["start"] < 3) | (sites["end"] > test.length - 3)
    posterior = bayes_posterior(np.asarray(test.tokens), motifs)
    bayes = posterior.argmax(axis=1)

    fresh = classroom(n_per_class=n_fresh, seed=seed + 1000)
    fresh_posterior = bayes_posterior(np.asarray(fresh.tokens), motifs)
    fresh_truth = np.asarray(fresh.targets)
    fresh_correct = fresh_posterior.argmax(axis=1) == fresh_truth
    expected = float(fresh_posterior.max(axis=1).mean())
    fresh_acc = float(fresh_correct.mean())
    stderr = float(fresh_correct.std() / np.sqrt(len(fresh_correct)))

    oracle = pwm_oracle(train, test, motifs)
    result = {
        "n_test": int(len(truth)),
        "class_names": names,
        "bayes_expected_accuracy": expected,
        "bayes_fresh_accuracy": fresh_acc,
        "bayes_fresh_stderr": stderr,
        "n_fresh": int(len(fresh_truth)),
        "bayes_fresh_recall": per_class_recall(fresh_truth, fresh_posterior.argmax(axis=1), len(names)),
        "bayes_fresh_confusions": confusions(fresh_truth, fresh_posterior.argmax(axis=1), names, top=8),
        "models": {
            "Bayes": _summary(truth, bayes, bayes, posterior, names, near_end),
            "PWM oracle": _summary(truth, oracle, bayes, posterior, names, near_end),
        },
    }
    if run is not None:
        for folder in sorted((run / "evaluate").glob("*/scores.npy")):
            predicted = np.load(folder).argmax(axis=1)
            result["models"][folder.parent.name] = _summary(truth, predicted, bayes, posterior, names, near_end)
    return result


def _summary(truth, predicted, bayes, posterior, names, near_end) -> dict:
    wrong = predicted != truth
    none = len(names) - 1
    missed = (truth != none) & (predicted == none)
    bayes_wrong = bayes != truth
    true_posterior = posterior[np.arange(len(truth)), truth]
    return {
        "accuracy": float(np.mean(~wrong)),
        "errors": int(wrong.sum()),
        "errors_bayes_also_wrong": int((wrong & bayes_wrong).sum()),
        "errors_bayes_confident": int((wrong & (true_posterior > 0.9)).sum()),
        "bayes_errors_it_gets_right": int((~wrong & bayes_wrong).sum()),
        "missed_sites": int(missed.sum()),
        "missed_sites_near_end": int((missed & near_end).sum()),
        "recall": per_class_recall(truth, predicted, len(names)),
        "confusions": confusions(truth, predicted, names),
    }


def markdown(result: dict) -> str:
    names = result["class_names"]
    lines = [
        f"Bayes-optimal accuracy (the ceiling), estimated on {result['n_fresh']:,} fresh sequences: "
        f"expected {result['bayes_expected_accuracy']:.4f} (mean max posterior); measured "
        f"{result['bayes_fresh_accuracy']:.4f} +- {result['bayes_fresh_stderr']:.4f} (standard error).",
        "",
        "Bayes recall per class (fresh sample): "
        + ", ".join(f"{n} {r:.3f}" for n, r in zip(names, result["bayes_fresh_recall"])) + ".",
        "Most frequent Bayes errors (fresh sample, true->predicted): "
        + "; ".join(result["bayes_fresh_confusions"]) + ".",
        "",
        f"On the test split ({result['n_test']:,} sequences):",
        "",
        "| classifier | accuracy | errors | of which Bayes also wrong | Bayes P(true class) > 0.9 | "
        "Bayes errors it gets right | motif called 'none' (site within 3 bp of an end) | lowest recall | "
        "top confusions (true->predicted) |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for label, row in result["models"].items():
        worst = np.argsort(row["recall"])[:3]
        lines.append(
            f"| {label} | {row['accuracy']:.4f} | {row['errors']} | {row['errors_bayes_also_wrong']} | "
            f"{row['errors_bayes_confident']} | {row['bayes_errors_it_gets_right']} | "
            f"{row['missed_sites']} ({row['missed_sites_near_end']}) | "
            + ", ".join(f"{names[k]} {row['recall'][k]:.3f}" for k in worst)
            + " | " + "; ".join(row["confusions"][:4]) + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, help="a finished classroom run folder (data/ and evaluate/)")
    parser.add_argument("--n-per-class", type=int, default=3000, help="simulated set without --run")
    parser.add_argument("--n-fresh", type=int, default=10000, help="fresh sequences per class for the ceiling")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)
    result = analyse(args.run, args.n_per_class, args.n_fresh, args.seed)
    print(markdown(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
