"""The interpretation step of an experiment: :func:`motifnet.interpret.pipeline.interpret` on the
model of a train step and the test split of a data step, so that ``motifnet interpret`` and an
experiment write the same files for the same model and data (see
:mod:`motifnet.interpret.pipeline` for the files and the summary ``interpret.json``).

Options (``interpret:`` in an experiment file, all optional) are the fields of
:class:`motifnet.interpret.pipeline.Options`, with the same defaults as the command::

    filters: true            # filters -> Tomtom (skipped for models without a convolution on the input)
    attributions: true       # attributions and localization
    koo_eddy: false          # also Koo & Eddy's two fractions (all filters, any true / any match)
    database: JASPAR2024     # a JASPAR release or a motif file; collection: CORE, tax_group: vertebrates
    threshold: 0.5           # activation fraction for filter windows
    e_value: 0.1
    n_filter_sequences: 2000 # test sequences (a seeded sample) used for filter activations
    n_logos: 10              # filter logos drawn
    method: grad_x_input     # or saliency, ism, integrated_gradients, deep_lift_shap
    n_attributions: 500      # sites localized (sequences explained)
    n_examples: 4            # attribution logos drawn
    patterns: false          # TF-MoDISco patterns from DeepLIFT/DeepSHAP contributions
    n_pattern_sequences: 2000  # sequences explained for patterns
    n_shuffles: 10           # dinucleotide-shuffled references per sequence
    max_seqlets: 2000        # seqlets clustered per sign
    in_silico: false         # insert each true motif / pattern into shuffled backgrounds; spacing of the top two
    n_backgrounds: 100       # shuffled backgrounds for in_silico
    only_correct: true       # localize only correctly predicted sequences
    seed: 0
    batch_size: 256
    formats: [png, svg]

The former names ``n_sequences`` (= ``n_filter_sequences``) and ``n_localize``
(= ``n_attributions``) still work. ``split`` defaults to ``all``: the step reads the data step's
test split, every row of which is a test row.
"""

from __future__ import annotations

from pathlib import Path

STEP_DEFAULTS = {"split": "all"}
RESULT_KEYS = ("filter_match_fraction", "motif_recovery_fraction", "localization_accuracy",
               "pattern_recovery_fraction", "pattern_family_recovery_fraction", "seqlet_precision",
               "in_silico_own_output_fraction")


def interpret_arm(run_dir: Path, data_dir: Path, options: dict, folder: Path, quiet: bool = True) -> dict:
    """Interpret the model in ``run_dir`` on the test split in ``data_dir``; write into ``folder``.

    Returns:
        The headline numbers (:data:`RESULT_KEYS`; None where not measured).

    Raises:
        MotifnetError: an unknown option or a database that cannot be loaded.
    """
    from motifnet.data import load
    from motifnet.interpret.pipeline import Options, interpret
    from motifnet.runs import load_run

    test_dir = Path(data_dir) / "test"
    opts = Options.from_mapping(options, **STEP_DEFAULTS, extra={"run": str(run_dir), "data": str(test_dir)})
    run = load_run(run_dir)
    test = load(test_dir, mmap=False)
    summary = interpret(run.model, test, folder, opts, quiet=quiet, task=run.task)
    return {key: summary.get(key) for key in RESULT_KEYS}
