"""Genome scanning: fast path == window path, chunk-size independence, strands, peaks, CLI, bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from motifnet.cli import main
from motifnet.errors import MotifnetError
from motifnet.models import ReverseComplement, build
from motifnet.scan import (PeakCaller, ScanSummary, bedgraph_lines, probabilities, scan_records, scan_tokens,
                           score_windows)
from motifnet.sequence import decode, encode, reverse_complement, reverse_complement_tokens

sys.path.insert(0, str(Path(__file__).parent))
from scan_support import make_run, python_bedgraph, write_fasta  # noqa: E402


def _model(seed=0, **params):
    torch.manual_seed(seed)
    params = {"n_filters": 6, "filter_length": 5, "hidden": 4, **params}
    return build("deepbind", params.pop("n_targets", 1), 40, **params).eval()


def _scan(model, tokens, **options):
    parts = list(scan_tokens(model, tokens, **options))
    if not parts:
        return np.zeros(0, np.int64), np.zeros((0, 1), np.float32), np.zeros((0, 1), np.int8)
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))


def _tokens(n, seed=0, with_n=True):
    return np.random.default_rng(seed).integers(0, 5 if with_n else 4, n).astype(np.uint8)


@pytest.mark.parametrize("head", ["dense", "torch"])
def test_a_model_in_training_mode_is_scored_in_eval_mode_on_both_paths(head):
    """Dropout stays off on the fast path too (its dense head, or the torch head it calls), and the
    model's training flag is left as it was."""
    model = _model(dropout=0.5, hidden=8)
    if head == "torch":
        model.head = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(6, 8), torch.nn.Tanh(),
                                         torch.nn.Linear(8, 1))
    tokens = _tokens(300)
    reference = _scan(model, tokens, window=40, method="window")[1]
    model.train()
    for method in ("fast", "window"):
        assert np.allclose(_scan(model, tokens, window=40, method=method)[1], reference, atol=1e-5), method
        assert model.training


@pytest.mark.parametrize("pool", ["max", "maxavg"])
@pytest.mark.parametrize("strands,model_strands", [("forward", "forward"), ("reverse", "forward"),
                                                   ("both", "forward"), ("forward", "both")])
@pytest.mark.parametrize("window,stride", [(40, 1), (5, 2)])
def test_fast_path_equals_window_path(pool, strands, model_strands, window, stride):
    model = _model(pool=pool, strands=model_strands, n_targets=2)
    tokens = _tokens(600)
    s1, fast, st1 = _scan(model, tokens, window=window, stride=stride, strands=strands, method="fast")
    s2, slow, st2 = _scan(model, tokens, window=window, stride=stride, strands=strands, method="window")
    assert np.array_equal(s1, s2) and len(s1) == (600 - window) // stride + 1
    np.testing.assert_allclose(fast, slow, atol=2e-6, rtol=1e-5)
    if model_strands == "forward":  # the strand that gave the max agrees wherever the strands differ
        assert np.array_equal(st1, st2) or np.mean(st1 == st2) > 0.99


def test_window_path_is_the_model_on_each_window_alone():
    model = _model(pool="maxavg")
    tokens = _tokens(200)
    starts, logits, _ = _scan(model, tokens, window=40, stride=7, strands="forward", method="fast")
    from motifnet.sequence import one_hot

    with torch.no_grad():
        expected = torch.cat([model(one_hot(tokens[s : s + 40][None])) for s in starts]).numpy()
    np.testing.assert_allclose(logits, expected, atol=2e-6)


@pytest.mark.parametrize("mode", ["mean", "max"])
@pytest.mark.parametrize("inner_strands", ["forward", "both"])
def test_reverse_complement_wrapper_fast_equals_window(mode, inner_strands):
    """Around a model that combines the strands itself, the wrapper's output is that model's."""
    model = ReverseComplement(_model(strands=inner_strands), mode).eval()
    tokens = _tokens(300, seed=2)
    _, fast, strand = _scan(model, tokens, window=40, stride=3, method="fast")
    _, slow, _ = _scan(model, tokens, window=40, stride=3, method="window")
    np.testing.assert_allclose(fast, slow, atol=2e-6)
    if mode == "mean" and inner_strands == "forward":
        assert (strand == 0).all()


@pytest.mark.parametrize("method", ["fast", "window"])
def test_results_do_not_depend_on_chunk_size(method):
    model = _model(pool="maxavg")
    tokens = _tokens(900, seed=3)
    reference = _scan(model, tokens, window=40, stride=3, method=method, chunk_size=10**6)
    for chunk in ((41, 97, 500) if method == "fast" else (120, 500)):  # 41: one window per chunk
        starts, logits, strand = _scan(model, tokens, window=40, stride=3, method=method, chunk_size=chunk)
        assert np.array_equal(starts, reference[0]) and np.array_equal(strand, reference[2])
        np.testing.assert_allclose(logits, reference[1], atol=1e-6)


def test_scores_are_symmetric_under_reverse_complement():
    model = _model()
    tokens = _tokens(500, seed=4)
    _, forward, strand = _scan(model, tokens, window=40, stride=1, strands="both")
    _, reverse, strand_rc = _scan(model, reverse_complement_tokens(tokens), window=40, stride=1, strands="both")
    np.testing.assert_allclose(forward, reverse[::-1], atol=2e-6)
    assert np.mean(strand == -strand_rc[::-1]) > 0.99


def test_other_models_fall_back_to_windows():
    torch.manual_seed(0)
    model = build("cnn", 1, 40).eval()
    tokens = _tokens(300, seed=5)
    with pytest.raises(MotifnetError, match="fast path"):
        _scan(model, tokens, window=40, method="fast")
    starts, auto, _ = _scan(model, tokens, window=40, stride=5, method="auto")
    windows = np.stack([tokens[s : s + 40] for s in starts])
    expected, _ = score_windows(model, windows, strands="both")
    np.testing.assert_allclose(auto, expected, atol=1e-6)


def _planted_model(motif: str, window: int = 40) -> torch.nn.Module:
    """A DeepBind whose one filter is the one-hot motif (bias -len+0.5: fires only on a full match)."""
    model = build("deepbind", 1, window, n_filters=1, filter_length=len(motif), hidden=0, dropout=0.0).eval()
    with torch.no_grad():
        model.conv.weight.zero_()
        for k, base in enumerate(encode(motif)):
            model.conv.weight[0, base, k] = 1.0
        model.conv.bias.fill_(-len(motif) + 0.5)
        model.head[-1].weight.fill_(10.0)
        model.head[-1].bias.fill_(-2.0)
    return model


def test_peaks_find_a_planted_motif_on_either_strand():
    rng = np.random.default_rng(6)
    motif = "GATTACA"
    background = decode(rng.integers(0, 4, 3000)).replace(motif, "GATTAGA").replace(reverse_complement(motif), "TGTAAAC")
    sequence = background[:1000] + motif + background[1000:2000] + reverse_complement(motif) + background[2000:]
    model = _planted_model(motif)
    summary = ScanSummary()
    caller = PeakCaller(0.5, 40)
    peaks = []
    for chunk in scan_records(model, [("chr", sequence)], window=40, stride=1, chunk_size=300, quiet=True,
                              summary=summary):
        scores = probabilities(chunk.logits, "binary")[:, 0]
        peaks += caller.add(chunk.record, chunk.starts, scores, chunk.strand[:, 0])
    peaks += caller.finish()
    assert summary.method == "fast" and len(peaks) == 2
    first, second = peaks
    assert first.start <= 1000 and first.end >= 1000 + len(motif) and first.strand == 1
    assert second.start <= 2007 and second.end >= 2007 + len(motif) and second.strand == -1
    # every window containing the whole motif scores high, and only those
    assert first.end - first.start == 2 * 40 - len(motif)


def test_peak_caller_is_independent_of_chunking():
    rng = np.random.default_rng(7)
    scores = rng.random(1000).astype(np.float32)
    starts = np.arange(1000) * 2
    strand = np.where(rng.random(1000) < 0.5, 1, -1).astype(np.int8)
    whole = PeakCaller(0.8, 5)
    expected = whole.add("c", starts, scores, strand) + whole.finish()
    pieces = PeakCaller(0.8, 5)
    got = []
    for a in range(0, 1000, 37):
        got += pieces.add("c", starts[a : a + 37], scores[a : a + 37], strand[a : a + 37])
    got += pieces.finish()
    assert got == expected and len(expected) > 10
    for peak in expected:  # merged windows: best inside, span covers whole windows
        assert peak.start <= peak.best_start and peak.best_start + 5 <= peak.end and peak.score >= 0.8


def test_bedgraph_tiles_without_overlap_and_merges_equal_values():
    starts = np.arange(0, 30, 3)
    values = np.array([0.1, 0.1, 0.2, 0.3, 0.3, 0.3, 0.1, 0.5, 0.5, 0.6])
    lines = [line.split("\t") for line in bedgraph_lines("c", starts, values, 10, 3).splitlines()]
    begins, ends = [int(x[1]) for x in lines], [int(x[2]) for x in lines]
    assert begins[0] == (10 - 3) // 2 and ends[-1] == 27 + 3 + 3
    assert all(e == b for e, b in zip(ends[:-1], begins[1:]))
    assert [float(x[3]) for x in lines] == [0.1, 0.2, 0.3, 0.1, 0.5, 0.6]


def test_iupac_and_lowercase_are_read_as_n_and_bases():
    model = _model()
    upper = decode(_tokens(200, seed=8, with_n=False))
    mixed = upper[:50].lower() + "RYKM" + upper[54:]
    plain = upper[:50] + "NNNN" + upper[54:]
    a = list(scan_records(model, [("x", mixed)], window=40, quiet=True))
    b = list(scan_records(model, [("x", plain)], window=40, quiet=True))
    np.testing.assert_array_equal(np.concatenate([c.logits for c in a]), np.concatenate([c.logits for c in b]))


def test_short_records_are_skipped_and_all_short_is_an_error():
    model = _model()
    summary = ScanSummary()
    chunks = list(scan_records(model, [("short", "ACGT" * 5), ("long", "ACGT" * 30)], window=40, quiet=True,
                               summary=summary))
    assert {c.record for c in chunks} == {"long"} and summary.skipped == [("short", 20)]
    with pytest.raises(MotifnetError, match="shorter than the 40 bp window"):
        list(scan_records(model, [("short", "ACGT" * 5)], window=40, quiet=True))
    with pytest.raises(MotifnetError, match="no sequences"):
        list(scan_records(model, [], window=40, quiet=True))


def test_rna_models_read_one_strand():
    model = _model()
    with pytest.raises(MotifnetError, match="RNA"):
        list(scan_records(model, [("t", "ACGU" * 20)], window=40, strands="both", alphabet="RNA", quiet=True))
    chunks = list(scan_records(model, [("t", "ACGU" * 20)], window=40, alphabet="RNA", quiet=True))
    assert (np.concatenate([c.strand for c in chunks]) == 1).all()


# ------------------------------------------------------------------------------------------------
# CLI


def test_cli_scan_multi_record_gz_bedgraph_and_peaks(tmp_path, capsys):
    run = make_run(tmp_path / "run")
    rng = np.random.default_rng(9)
    records = {"chrA": decode(rng.integers(0, 4, 400)).lower(), "chrB": decode(rng.integers(0, 4, 250)) + "NNRY",
               "tiny": "ACGTACGT"}
    fasta = write_fasta(tmp_path / "genome.fa.gz", records, gz=True)
    out, peaks = tmp_path / "scores.bedgraph", tmp_path / "peaks.bed"
    code = main(["scan", "--run", str(run), "--fasta", str(fasta), "--out", str(out), "--stride", "2",
                 "--threshold", "0.5", "--peaks", str(peaks), "--quiet"])
    assert code == 0
    captured = capsys.readouterr()
    assert "skipped tiny" in captured.err and "fast path" in captured.out
    lines = out.read_text().splitlines()
    assert lines[0].startswith("track type=bedGraph")
    rows = [line.split("\t") for line in lines[1:]]
    assert {r[0] for r in rows} == {"chrA", "chrB"}
    # values are the API's probabilities of the windows
    from motifnet.runs import load_run

    trained = load_run(run)
    chunks = list(scan_records(trained.model, [("chrA", records["chrA"])], window=30, stride=2, quiet=True))
    expected = probabilities(np.concatenate([c.logits for c in chunks]), "binary")[:, 0]
    per_base = {}
    for r in rows:
        if r[0] == "chrA":
            for position in range(int(r[1]), int(r[2]), 2):
                per_base[position] = float(r[3])
    got = np.array([per_base[s + 14] for s in range(0, 371, 2)])
    np.testing.assert_allclose(got, expected, atol=1e-3)
    for line in peaks.read_text().splitlines():
        fields = line.split("\t")
        assert len(fields) == 10 and fields[0] in records and float(fields[6]) >= 0.5


@pytest.mark.parametrize("stride", [1, 7])
def test_cli_scan_bigwig_holds_the_bedgraph_scores(tmp_path, stride):
    """--out *.bw: a bigWig with every record's length in its header and, base by base, the
    scores the bedGraph prints (to its 4 digits); no temporary file left."""
    import pyBigWig

    run = make_run(tmp_path / "run")
    rng = np.random.default_rng(10)
    records = {"chrA": decode(rng.integers(0, 4, 403)), "chrB": decode(rng.integers(0, 4, 95)), "tiny": "ACGT"}
    fasta = write_fasta(tmp_path / "genome.fa", records)
    bedgraph, bigwig = tmp_path / "scores.bedgraph", tmp_path / "scores.bw"
    for out in (bedgraph, bigwig):
        assert main(["scan", "--run", str(run), "--fasta", str(fasta), "--out", str(out), "--stride", str(stride),
                     "--chunk-size", "100", "--quiet"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["genome.fa", "run", "scores.bedgraph", "scores.bw"]
    track = pyBigWig.open(str(bigwig))
    assert track.chroms() == {name: len(sequence) for name, sequence in records.items()}
    for line in bedgraph.read_text().splitlines()[1:]:
        chrom, begin, end, value = line.split("\t")
        stored = np.array(track.values(chrom, int(begin), int(end)))
        np.testing.assert_allclose(stored, float(value), rtol=5e-4)
    covered = sum(int(e) - int(b) for _, b, e, _ in (line.split("\t") for line in bedgraph.read_text().splitlines()[1:]))
    assert sum(e - b for chrom in ("chrA", "chrB") for b, e, _ in track.intervals(chrom)) == covered


def test_cli_scan_bad_inputs_are_one_line_errors(tmp_path, capsys):
    run = make_run(tmp_path / "run")
    rna = make_run(tmp_path / "rna", alphabet="RNA")
    empty = tmp_path / "empty.fa"
    empty.write_text("")
    short = write_fasta(tmp_path / "short.fa", {"s": "ACGT"})
    good = write_fasta(tmp_path / "good.fa", {"s": "ACGT" * 20})
    out = tmp_path / "out.bedgraph"
    cases = [
        (["--run", str(run), "--fasta", str(empty)], "no FASTA records"),
        (["--run", str(run), "--fasta", str(short)], "shorter than the 30 bp window"),
        (["--run", str(rna), "--fasta", str(good), "--strands", "both"], "trained on RNA"),
        (["--run", str(run), "--fasta", str(good), "--threshold", "0.5"], "go together"),
        (["--run", str(run), "--fasta", str(good), "--window", "0"], "positive length"),
        (["--run", str(run), "--fasta", str(good), "--stride", "0"], "stride must be"),
    ]
    for extra, message in cases:
        assert main(["scan", *extra, "--out", str(out), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert not out.exists()
    assert main(["scan", "--run", str(rna), "--fasta", str(good), "--out", str(out), "--quiet"]) == 0
    assert "strands forward" in capsys.readouterr().out


def test_cli_motif_baseline_finds_planted_sites(tmp_path):
    from motifnet.motifs import Motif

    motif = Motif(np.eye(4)[:, [2, 0, 3, 3, 0, 1, 0, 2]] * 20 + 1, id="GATTACAG")
    motif_file = tmp_path / "m.jaspar"
    motif_file.write_text(">GATTACAG test\n" + "".join(
        f"{base} [ {' '.join(str(int(v)) for v in row)} ]\n" for base, row in zip("ACGT", motif.counts)))
    rng = np.random.default_rng(10)
    background = decode(rng.integers(0, 4, 3000))
    sequence = background[:500] + "GATTACAG" + background[500:2500] + "CTGTAATC" + background[2500:]
    fasta = write_fasta(tmp_path / "g.fa", {"c1": sequence})
    out = tmp_path / "hits.bed"
    assert main(["scan", "--motif", str(motif_file), "--fasta", str(fasta), "--out", str(out), "--chunk-size", "700",
                 "--pvalue", "1e-4"]) == 0
    hits = [line.split("\t") for line in out.read_text().splitlines()]
    found = {(int(h[1]), h[5]) for h in hits}
    assert (500, "+") in found and (2508, "-") in found
    assert len(hits) == len({(h[1], h[5]) for h in hits})  # no hit doubled at chunk edges


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 78, 200])
def test_sliding_max_equals_numpy(size):
    from motifnet.scan.fast import _sliding_max

    values = np.random.default_rng(size).normal(size=(200, 16)).astype(np.float32)
    original = values.copy()
    result = _sliding_max(values, size, np.full_like(values, np.nan), np.full_like(values, np.nan))
    expected = np.lib.stride_tricks.sliding_window_view(values, size, axis=0).max(axis=-1)
    assert np.array_equal(result[: 200 - size + 1], expected)
    assert np.array_equal(values, original)


@pytest.mark.parametrize("hidden", [[], [7], [8, 5]])
def test_dense_head_equals_the_torch_head(hidden):
    from motifnet.models.layers import dense_head
    from motifnet.scan.head import apply_dense, dense_stack

    torch.manual_seed(len(hidden))
    head = dense_head(6, hidden, 3, dropout=0.5, input_dropout=0.1).eval()
    features = np.random.default_rng(0).normal(size=(5000, 6)).astype(np.float32)
    stack = dense_stack(head)
    assert stack is not None and list(stack.widths) == [6, *hidden, 3]
    with torch.no_grad():
        expected = head(torch.from_numpy(features)).numpy()
    np.testing.assert_allclose(apply_dense(stack, features, block=333), expected, atol=1e-5, rtol=1e-5)


def test_dense_head_refuses_other_heads():
    from torch import nn

    from motifnet.models.layers import dense_head
    from motifnet.scan.head import dense_stack

    assert dense_stack(dense_head(6, [4], 1, batch_norm=True).eval()) is None
    assert dense_stack(dense_head(6, [4], 1)) is None  # training mode: dropout would be active
    assert dense_stack(nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 1)).eval()) is None
    assert dense_stack(nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.ReLU(), nn.Linear(4, 1)).eval()) is None


@pytest.mark.parametrize("pool", ["max", "mean", "maxavg"])
@pytest.mark.parametrize("n_filters,filter_length,pad_width", [(6, 5, 4), (16, 8, 3), (20, 7, 0), (40, 33, 32), (3, 1, 0), (17, 2, 1)])
@pytest.mark.parametrize("window,stride", [(None, 1), (41, 1), (41, 3)])
def test_pooled_features_equal_the_models_pooling_of_each_window(pool, n_filters, filter_length, pad_width, window,
                                                                  stride):
    """The fast path's pooled features against the model's own padding, convolution, ReLU and
    pooling of every window alone (float64), for filter blocks that fill 16 lanes or not, padding
    of m - 1, fewer or no columns, windows as short as the filter and strides over 1."""
    from motifnet.models.layers import GlobalPool, PadInput
    from motifnet.scan.fast import conv_pool_plan, pool_windows
    from motifnet.sequence import one_hot

    window = window or filter_length
    model = _model(seed=n_filters, n_filters=n_filters, filter_length=filter_length)
    model.pad, model.pool = PadInput(pad_width, 0.25), GlobalPool(pool)  # DeepBind itself offers max and maxavg
    tokens = _tokens(300, seed=filter_length)
    n_windows = (len(tokens) - window) // stride + 1
    plan = conv_pool_plan(model, window)
    got = pool_windows(plan, tokens, window, stride, n_windows)
    windows = np.lib.stride_tricks.sliding_window_view(tokens, window)[::stride]
    with torch.no_grad():
        double = model.double()
        expected = double.pool(double.conv_features(one_hot(np.ascontiguousarray(windows)).double())).numpy()
    assert got.shape == expected.shape == (n_windows, n_filters * (2 if pool == "maxavg" else 1))
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)


def test_mean_pooling_stays_exact_over_long_slides():
    """The interior mean slides over thousands of windows per block (and across blocks in
    parallel): it must not drift from the float64 reference."""
    from motifnet.models.layers import GlobalPool
    from motifnet.scan.fast import conv_pool_plan, pool_windows
    from motifnet.sequence import one_hot

    model = _model(seed=3, n_filters=16, filter_length=8)
    with torch.no_grad():
        model.conv.weight.mul_(10.0)  # large activations: a drifting float32 running sum shows
    model.pool = GlobalPool("mean")
    tokens = _tokens(9000, seed=5, with_n=False)
    window = 41
    n_windows = len(tokens) - window + 1
    got = pool_windows(conv_pool_plan(model, window), tokens, window, 1, n_windows)
    windows = np.lib.stride_tricks.sliding_window_view(tokens, window)
    with torch.no_grad():
        double = model.double()
        expected = double.pool(double.conv_features(one_hot(np.ascontiguousarray(windows)).double())).numpy()
    # Kahan-compensated: largest error 5.8e-7 here; an uncompensated float32 running sum: 4.4e-6
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=2e-6)


def test_pool_windows_reads_tokens_above_n_as_n_and_refuses_bad_windows():
    from motifnet.scan.fast import conv_pool_plan, pool_windows

    model = _model(seed=2, n_filters=6, filter_length=5)
    plan = conv_pool_plan(model, 40)
    tokens = _tokens(200, seed=9)
    odd = tokens.copy()
    odd[[10, 50, 120]] = [5, 9, 255]  # out-of-alphabet codes: N, as one_hot reads them
    tokens[[10, 50, 120]] = 4
    assert np.array_equal(pool_windows(plan, odd, 40, 1, 161), pool_windows(plan, tokens, 40, 1, 161))
    for window, stride in [(4, 1), (40, 0), (40, -1)]:
        with pytest.raises(ValueError, match="window >= filter length 5 and stride >= 1"):
            pool_windows(plan, tokens, window, stride, 3)


def _jitted_sources(module, package: Path) -> dict[str, str]:
    """Files of the motifnet modules whose numba functions or intrinsics ``module`` imports
    (and, in turn, theirs), each with the first 16 hex digits of its sha256."""
    import ast
    import hashlib
    import importlib

    from numba.core.dispatcher import Dispatcher
    from numba.core.extending import _Intrinsic

    def jitted(obj) -> bool:
        if isinstance(obj, (Dispatcher, _Intrinsic)):
            return True
        return hasattr(obj, "__file__") and any(isinstance(v, (Dispatcher, _Intrinsic)) for v in vars(obj).values())

    sources = {}
    for node in ast.walk(ast.parse(Path(module.__file__).read_text())):
        if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("motifnet"):
            continue
        source = importlib.import_module(node.module)
        for alias in node.names:
            obj = getattr(source, alias.name)
            if jitted(obj):
                dependency = obj if hasattr(obj, "__file__") else source
                path = Path(dependency.__file__)
                sources[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
                sources.update(_jitted_sources(dependency, package))
    return sources


def test_every_module_with_cached_kernels_records_the_sources_compiled_into_them():
    """numba's cache keys a module's kernels on that module's file alone; the hashes of the other
    files compiled into them (lanes intrinsics, the dense head), written in the module, make any
    change there recompile."""
    import importlib

    import motifnet

    package = Path(motifnet.__file__).parent
    checked = 0
    for path in sorted(package.rglob("*.py")):
        if "cache=True" not in path.read_text():
            continue
        module = importlib.import_module(".".join(path.relative_to(package.parent).with_suffix("").parts))
        expected = _jitted_sources(module, package)
        recorded = getattr(module, "COMPILED_SOURCES", {})
        assert recorded == expected, f"set {module.__name__}.COMPILED_SOURCES = {expected!r}"
        checked += bool(expected)
    assert checked >= 2  # scan.fast and scan.head


def test_a_head_that_is_not_a_dense_stack_runs_as_the_module_itself():
    """Another head (here tanh) keeps the fast pooling and is applied by torch."""
    from torch import nn

    from motifnet.scan.fast import conv_pool_plan

    model = _model(seed=4, n_targets=2)
    model.head = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 2)).eval()
    assert conv_pool_plan(model, 40).dense is None
    tokens = _tokens(300, seed=4)
    _, fast, _ = _scan(model, tokens, window=40, stride=3, strands="both", method="fast")
    _, slow, _ = _scan(model, tokens, window=40, stride=3, strands="both", method="window")
    np.testing.assert_allclose(fast, slow, atol=2e-6, rtol=1e-5)


def test_a_head_that_does_not_fit_the_pooled_features_fails_like_torch_not_the_process():
    """A head whose input width is not the pooled width is left to torch (its shape error),
    never handed to the compiled kernel, which would write past its buffers."""
    from torch import nn

    from motifnet.scan.fast import conv_pool_plan

    model = _model(seed=5, n_filters=17, pool="maxavg")  # 34 pooled features
    model.head = nn.Sequential(nn.Linear(17, 1)).eval()
    assert conv_pool_plan(model, 40).dense is None
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
        list(scan_tokens(model, _tokens(200), 40, strands="forward"))


def test_non_finite_weights_take_the_window_path_and_give_nan_like_torch():
    from motifnet.scan.fast import conv_pool_plan

    model = _model(seed=6)
    with torch.no_grad():
        model.conv.weight[0, 0, 0] = float("nan")
    assert conv_pool_plan(model, 40) is None
    _, logits, _ = _scan(model, _tokens(100, seed=6), window=40, strands="forward")
    assert np.isnan(logits).all()


def test_negative_tokens_read_as_n():
    from motifnet.scan.fast import conv_pool_plan, pool_windows

    plan = conv_pool_plan(_model(seed=7), 40)
    tokens = _tokens(120, seed=7).astype(np.int64)
    odd = tokens.copy()
    odd[50:60] = -1
    tokens[50:60] = 4
    assert np.array_equal(pool_windows(plan, odd, 40, 1, 81), pool_windows(plan, tokens, 40, 1, 81))


@pytest.mark.parametrize("method", ["fast", "window"])
def test_combine_mean_averages_the_two_strands_probabilities(method):
    """strands='both' with combine='mean' is the rule of predict: the mean of the two strands'
    probabilities (here sigmoid), the same on the fast and the window path; the strand is 0."""
    model = _model(seed=8, n_targets=2)
    tokens = _tokens(300, seed=8)
    _, forward, _ = _scan(model, tokens, window=40, stride=2, strands="forward", method="window")
    _, reverse, _ = _scan(model, tokens, window=40, stride=2, strands="reverse", method="window")
    _, logits, strand = _scan(model, tokens, window=40, stride=2, strands="both", method=method, combine="mean")
    expected = (probabilities(forward, "binary") + probabilities(reverse, "binary")) / 2
    np.testing.assert_allclose(probabilities(logits, "binary"), expected, atol=1e-6)
    assert not strand.any()
    with pytest.raises(MotifnetError, match="combine"):
        _scan(model, tokens, window=40, strands="both", combine="sum")


def _cli_bedgraph_and_reference(tmp_path, records, stride, method, batch_size, chunk_size):
    """The body of ``motifnet scan``'s bedGraph and, chunk by chunk, the Python formatting of the
    probabilities that :func:`scan_records` gives with the same options."""
    from motifnet.runs import load_run

    run = tmp_path / "run"
    if not run.exists():
        make_run(run)
    fasta = write_fasta(tmp_path / "genome.fa.gz", records, gz=True)
    out = tmp_path / f"scores_{method}_{batch_size}.bedgraph"
    assert main(["scan", "--run", str(run), "--fasta", str(fasta), "--out", str(out), "--stride", str(stride),
                 "--method", method, "--batch-size", str(batch_size), "--chunk-size", str(chunk_size), "--quiet"]) == 0
    header, body = out.read_text().split("\n", 1)
    assert header.startswith("track type=bedGraph")
    model = load_run(run).model
    expected = "".join(
        python_bedgraph(chunk.record, chunk.starts, probabilities(chunk.logits, "binary")[:, 0], 30, stride)
        for name, sequence in records.items()
        for chunk in scan_records(model, [(name, sequence)], window=30, stride=stride, method=method,
                                  batch_size=batch_size, chunk_size=chunk_size))
    return body, expected


@pytest.mark.parametrize("stride", [1, 4])
def test_cli_bedgraph_is_the_python_formatting_of_the_fast_path_scores(tmp_path, stride):
    """Byte for byte, over chunks of several parallel text blocks, two records, soft-masked and N bases."""
    rng = np.random.default_rng(11)
    records = {"chrA": decode(rng.integers(0, 4, 45000)), "chrB": decode(rng.integers(0, 4, 3000)).lower() + "NNRY" * 5}
    body, expected = _cli_bedgraph_and_reference(tmp_path, records, stride, "fast", 256, 40000)
    assert body == expected and body.count("\n") > 2 * 16384 // stride


def test_cli_bedgraph_of_the_window_path_is_the_same_at_batch_sizes_1_and_many(tmp_path):
    rng = np.random.default_rng(12)
    records = {"chrA": decode(rng.integers(0, 4, 500)), "chrB": decode(rng.integers(0, 4, 200)) + "NNRY"}
    one, expected_one = _cli_bedgraph_and_reference(tmp_path, records, 3, "window", 1, 1000)
    many, expected_many = _cli_bedgraph_and_reference(tmp_path, records, 3, "window", 64, 1000)
    assert one == expected_one and many == expected_many and one == many


def test_the_fast_path_plan_is_built_once_per_scan_not_per_record(monkeypatch):
    """A transcriptome has 100,000 records: reading the model for each of them cost more than scoring it."""
    import motifnet.scan.fast as fast

    calls = []
    real = fast.conv_pool_plan
    monkeypatch.setattr(fast, "conv_pool_plan", lambda *args: calls.append(1) or real(*args))
    records = [(f"r{i}", decode(_tokens(60, seed=i, with_n=False))) for i in range(50)]
    chunks = list(scan_records(_model(), records, window=40, quiet=True))
    assert len(chunks) == 50 and len(calls) == 1
