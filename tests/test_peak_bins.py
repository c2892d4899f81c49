"""Peak files to DeepSEA's multi-task design: labels against a plain per-bin loop, the filters,
the splits, bigWig targets, bad input, and the command line through to one epoch of training."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from motifnet.cli import main
from motifnet.data import load
from motifnet.errors import MotifnetError
from motifnet.peak_bins import BinOptions
from motifnet.peak_store import build_peak_store
from motifnet.ranges import covered_bins, merge

MOTIFS = {"ctcf_like": "CCGCGNGGNGGCAG".replace("N", "A"), "gata_like": "AGATAAGATAAGAT"}


def write_fasta(path, chromosomes: dict[str, str]) -> None:
    with open(path, "w") as handle:
        for name, sequence in chromosomes.items():
            handle.write(f">{name} test chromosome\n")
            handle.writelines(sequence[i : i + 60] + "\n" for i in range(0, len(sequence), 60))


def write_bed(path, rows, narrowpeak: bool = False) -> None:
    with open(path, "w") as handle:
        for chrom, start, end in rows:
            extra = f"\tpeak\t500\t.\t8.2\t10.1\t7.3\t{(end - start) // 2}" if narrowpeak else ""
            handle.write(f"{chrom}\t{start}\t{end}{extra}\n")


@pytest.fixture
def planted(tmp_path):
    """A random 3-chromosome genome with two motifs planted; each motif's sites (+-60 bp) are
    one experiment's peaks, unsorted, some overlapping, some across bin edges."""
    rng = np.random.default_rng(1)
    lengths = {"chr1": 24_000, "chr2": 12_000, "chr3": 6_100}
    genome = {name: list("".join(rng.choice(list("ACGT"), n))) for name, n in lengths.items()}
    peaks = {name: [] for name in MOTIFS}
    for motif, site in MOTIFS.items():
        for chrom, n in lengths.items():
            for position in rng.integers(0, n - len(site), size=n // 800):
                genome[chrom][position : position + len(site)] = site
                peaks[motif].append((chrom, max(0, int(position) - 60), min(n, int(position) + len(site) + 60)))
    genome = {name: "".join(letters) for name, letters in genome.items()}
    write_fasta(tmp_path / "genome.fa", genome)
    files = []
    for motif, rows in peaks.items():
        rng.shuffle(rows)
        write_bed(tmp_path / f"{motif}.bed", rows)
        files.append((motif, tmp_path / f"{motif}.bed"))
    return tmp_path, genome, peaks, files


def loop_labels(genome: dict[str, str], peaks: dict[str, list], options: BinOptions, blacklist=()) -> dict:
    """The rule written plainly: for every bin of every chromosome, count the bases covered by a
    target's peaks with a boolean array per chromosome and target; apply each filter by hand."""
    out = {}
    for chrom, sequence in genome.items():
        covered = {}
        for target, rows in peaks.items():
            mask = np.zeros(len(sequence), dtype=bool)
            for c, start, end in rows:
                if c == chrom:
                    mask[start:end] = True
            covered[target] = mask
        black = np.zeros(len(sequence), dtype=bool)
        for c, start, end in blacklist:
            if c == chrom:
                black[start:end] = True
        for k in range(len(sequence) // options.bin_size):
            start = k * options.bin_size
            window_start = start + (options.bin_size - options.window) // 2
            window_end = window_start + options.window
            if window_start < 0 or window_end > len(sequence):
                continue
            window = sequence[window_start:window_end]
            if window.upper().count("N") > options.max_n_fraction * options.window or black[window_start:window_end].any():
                continue
            labels = tuple(int(covered[t][start : start + options.bin_size].sum() * 2 > options.bin_size) for t in peaks)
            if any(labels):
                out[(chrom, start)] = labels
    return out


def store_labels(folder, splits=("train",)) -> dict:
    out = {}
    for split in splits:
        data = load(folder / split)
        for chrom, start, labels in zip(data.annotations["chrom"], data.annotations["start"], data.targets):
            out[(str(chrom), int(start))] = tuple(int(v) for v in labels)
    return out


def test_merge_and_covered_bins_match_a_base_by_base_count():
    rng = np.random.default_rng(0)
    starts = rng.integers(0, 5000, 300)
    ends = starts + rng.integers(1, 120, 300)
    mask = np.zeros(6000, dtype=bool)
    for a, b in zip(starts, ends):
        mask[a:b] = True
    merged_starts, merged_ends = merge(starts, ends)
    assert (merged_starts[1:] > merged_ends[:-1]).all()
    rebuilt = np.zeros(6000, dtype=bool)
    for a, b in zip(merged_starts, merged_ends):
        rebuilt[a:b] = True
    np.testing.assert_array_equal(rebuilt, mask)
    bins, bases = covered_bins(merged_starts, merged_ends, 50)
    per_bin = mask.reshape(-1, 50).sum(axis=1)
    np.testing.assert_array_equal(bins, np.flatnonzero(per_bin))
    np.testing.assert_array_equal(bases, per_bin[per_bin > 0])


def test_labels_match_a_per_bin_loop_on_planted_motifs(planted):
    folder, genome, peaks, files = planted
    options = BinOptions(window=600)
    summary = build_peak_store(folder / "genome.fa", folder / "out", peaks=files, options=options, quiet=True)
    expected = loop_labels(genome, peaks, options)
    assert store_labels(folder / "out") == expected
    data = load(folder / "out" / "train")
    assert data.task == "multilabel" and data.target_names == list(MOTIFS) and data.length == 600
    assert summary["rows"] == {"train": len(expected)}
    # the window is the genome's sequence centred on the bin, and holds the planted motif
    for row in range(0, len(data), 7):
        chrom, start = str(data.annotations["chrom"][row]), int(data.annotations["start"][row])
        window_start = int(data.annotations["window_start"][row])
        assert window_start == start - 200 and int(data.annotations["window_end"][row]) == start + 400
        assert data.ids[row] == f"{chrom}:{start}-{start + 200}"
        text = genome[chrom][window_start : window_start + 600]
        assert "".join("ACGTN"[t] for t in data.tokens[row]) == text
        for k, (motif, site) in enumerate(MOTIFS.items()):
            if data.targets[row, k]:
                assert site in text


def test_bin_edges_exactly_half_adjacent_and_overlapping_peaks(tmp_path):
    write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 500})  # 2,000 bp, 10 bins of 200
    rows = {
        "half": [("chr1", 800, 900)],                        # exactly half of bin 4: 0
        "across": [("chr1", 1050, 1250)],                    # 150 bp of bin 5, 50 bp of bin 6
        "adjacent": [("chr1", 400, 460), ("chr1", 460, 560)],  # 160 bp of bin 2 once merged
        "overlapping": [("chr1", 1200, 1290), ("chr1", 1210, 1300)],  # 100 bp of bin 6, counted once: 0
    }
    files = []
    for name, intervals in rows.items():
        write_bed(tmp_path / f"{name}.bed", intervals)
        files.append((name, tmp_path / f"{name}.bed"))
    build_peak_store(tmp_path / "g.fa", tmp_path / "out", peaks=files, options=BinOptions(window=200), quiet=True)
    got = store_labels(tmp_path / "out")
    assert got == {("chr1", 400): (0, 0, 1, 0), ("chr1", 1000): (0, 1, 0, 0)}


def test_windows_past_chromosome_ends_and_the_partial_last_bin_are_dropped(tmp_path):
    write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 275})  # 1,100 bp: bins 0..4, 100 bp left over
    write_bed(tmp_path / "p.bed", [("chr1", 0, 1100)])
    build_peak_store(tmp_path / "g.fa", tmp_path / "out", peaks=[("p", tmp_path / "p.bed")],
                     options=BinOptions(window=600), quiet=True)
    # windows of 600 start 200 before their bin: bin 0 would start at -200, bin 4 end at 1,200
    assert sorted(store_labels(tmp_path / "out")) == [("chr1", 200), ("chr1", 400), ("chr1", 600)]
    build_peak_store(tmp_path / "g.fa", tmp_path / "out", peaks=[("p", tmp_path / "p.bed")],
                     options=BinOptions(window=200), quiet=True, overwrite=True)
    assert sorted(store_labels(tmp_path / "out")) == [("chr1", start) for start in range(0, 1000, 200)]


def test_narrowpeak_and_bed3_unsorted_and_sorted_give_the_same_store(planted):
    folder, genome, peaks, files = planted
    rows = peaks["gata_like"]
    write_narrow = folder / "gata.narrowPeak"
    write_bed(write_narrow, rows, narrowpeak=True)
    write_bed(folder / "gata_sorted.bed", sorted(rows))
    for name, path in [("a", files[1][1]), ("b", write_narrow), ("c", folder / "gata_sorted.bed")]:
        build_peak_store(folder / "genome.fa", folder / name, peaks=[("gata", path)], quiet=True)
    a, b, c = (load(folder / name / "train") for name in "abc")
    for other in (b, c):
        np.testing.assert_array_equal(a.targets, other.targets)
        np.testing.assert_array_equal(a.tokens, other.tokens)


def test_blacklist_and_n_filter_match_the_loop(planted):
    folder, genome, peaks, files = planted
    genome = dict(genome)
    genome["chr1"] = genome["chr1"][:3000] + "N" * 700 + genome["chr1"][3700:]
    write_fasta(folder / "genome_n.fa", genome)
    blacklist = [("chr2", 2000, 2600), ("chr9", 0, 100)]  # a chromosome not in the genome is ignored
    write_bed(folder / "black.bed", blacklist)
    for fraction in (0.1, 0.5):
        options = BinOptions(max_n_fraction=fraction)
        build_peak_store(folder / "genome_n.fa", folder / "out", peaks=files, blacklist=folder / "black.bed",
                         options=options, overwrite=True, quiet=True)
        expected = loop_labels(genome, peaks, options, blacklist)
        got = store_labels(folder / "out")
        assert got == expected
        assert not any(c == "chr2" and 1200 < s < 3400 for c, s in got)
    no_filter = loop_labels(genome, peaks, BinOptions(max_n_fraction=1.0))
    assert len(no_filter) > len(loop_labels(genome, peaks, BinOptions(max_n_fraction=0.5)))


def test_held_out_chromosomes_become_valid_and_test_stores(planted):
    folder, genome, peaks, files = planted
    options = BinOptions(valid_chroms=["chr2"], test_chroms=["chr3"])
    summary = build_peak_store(folder / "genome.fa", folder / "out", peaks=files, options=options, quiet=True)
    expected = loop_labels(genome, peaks, options)
    for split, chrom in [("train", "chr1"), ("valid", "chr2"), ("test", "chr3")]:
        data = load(folder / "out" / split)
        assert set(data.annotations["chrom"]) == {chrom} and set(data.annotations["split"]) == {split}
        assert len(data) == summary["rows"][split] == sum(1 for c, _ in expected if c == chrom)
        assert summary["positives"][split] == np.asarray(data.targets).sum(axis=0).astype(int).tolist()
    assert store_labels(folder / "out", ("train", "valid", "test")) == expected
    written = json.loads((folder / "out" / "summary.json").read_text())
    assert written["options"]["test_chroms"] == ["chr3"] and written["task"] == "multilabel"


def test_background_ratio_adds_seeded_all_negative_bins(planted):
    folder, genome, peaks, files = planted
    base = build_peak_store(folder / "genome.fa", folder / "none", peaks=files, quiet=True)["rows"]["train"]
    picked = []
    for name, seed in [("a", 3), ("b", 3), ("c", 4)]:
        build_peak_store(folder / "genome.fa", folder / name, peaks=files, quiet=True,
                         options=BinOptions(background_ratio=0.5, seed=seed))
        data = load(folder / name / "train")
        negative = np.asarray(data.targets).sum(axis=1) == 0
        per_chrom = {c: int(np.sum(~negative & (data.annotations["chrom"] == c))) for c in genome}
        assert negative.sum() == sum(int(round(0.5 * n)) for n in per_chrom.values())
        assert len(data) - negative.sum() == base
        assert np.all(np.diff(data.annotations["start"][data.annotations["chrom"] == "chr1"]) > 0)  # genome order
        picked.append(set(data.ids[negative]))
    assert picked[0] == picked[1] and picked[0] != picked[2]


def test_an_empty_peak_file_is_a_target_of_zeros_with_a_warning(planted):
    folder, genome, peaks, files = planted
    (folder / "empty.bed").write_text("track name=empty\n")
    with pytest.warns(UserWarning, match="no intervals: target 'empty' is 0"):
        build_peak_store(folder / "genome.fa", folder / "out", peaks=files + [("empty", folder / "empty.bed")], quiet=True)
    data = load(folder / "out" / "train")
    assert data.target_names[-1] == "empty" and not np.asarray(data.targets)[:, -1].any()
    assert np.asarray(data.targets)[:, :2].sum() > 0


def _no_output(folder, name="out"):
    return not (folder / name).exists() and not list(folder.glob(f".{name}.*"))


@pytest.mark.parametrize("rows, message", [
    ([("1", 10, 300)], r"chromosome\(s\) '1' not in the genome; the genome names them with 'chr' \('1' is 'chr1' there\)"),
    ([("chrUn", 10, 300), ("chr1", 5, 9)], r"chromosome\(s\) 'chrUn' not in the genome; the genome has 3 chromosome"),
    ([("chr3", 6000, 6200)], r"p.bed:1, record 'chr3:6000-6200': interval ends past its chromosome's end \(length 6100\)"),
    ([("chr1", 300, 300)], r"p.bed:1, record 'chr1:300-300': interval needs 0 <= start < end"),
])
def test_bad_peak_files_are_one_line_errors_and_write_nothing(planted, rows, message):
    folder, *_ = planted
    write_bed(folder / "p.bed", rows)
    with pytest.raises(MotifnetError, match=message) as error:
        build_peak_store(folder / "genome.fa", folder / "out", peaks=[("p", folder / "p.bed")], quiet=True)
    assert "\n" not in str(error.value) and _no_output(folder)


def test_chr_prefix_hint_for_a_genome_without_chr(tmp_path):
    write_fasta(tmp_path / "g.fa", {"1": "ACGT" * 400, "2": "ACGT" * 400})
    write_bed(tmp_path / "p.bed", [("chr1", 10, 300), ("chr2", 10, 300)])
    with pytest.raises(MotifnetError, match=r"'chr1', 'chr2' not in the genome; the genome names them without 'chr'"):
        build_peak_store(tmp_path / "g.fa", tmp_path / "out", peaks=[("p", tmp_path / "p.bed")], quiet=True)


def test_duplicate_names_bad_options_and_unknown_held_out_chromosomes(planted):
    folder, genome, peaks, files = planted
    with pytest.raises(MotifnetError, match="target name 'ctcf_like' is given twice"):
        build_peak_store(folder / "genome.fa", folder / "out", peaks=files + files[:1], quiet=True)
    with pytest.raises(MotifnetError, match=r"\['chr2'\] are both validation and test"):
        build_peak_store(folder / "genome.fa", folder / "out", peaks=files, quiet=True,
                         options=BinOptions(valid_chroms=["chr2"], test_chroms=["chr2"]))
    with pytest.raises(MotifnetError, match=r"--valid-chroms/--test-chroms: chromosome\(s\) '2' not in the genome.*'chr2'"):
        build_peak_store(folder / "genome.fa", folder / "out", peaks=files, quiet=True,
                         options=BinOptions(test_chroms=["2"]))
    assert _no_output(folder)


def write_bigwig(path, chrom_sizes, entries):
    import pyBigWig

    handle = pyBigWig.open(str(path), "w")
    handle.addHeader(list(chrom_sizes))
    for chrom, start, end, value in entries:
        handle.addEntries([chrom], [start], ends=[end], values=[float(value)])
    handle.close()


@pytest.mark.parametrize("transform", ["none", "log1p", "asinh"])
def test_bigwig_means_over_bins_as_regression_targets(tmp_path, transform):
    write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 500, "chr2": "ACGT" * 300})
    sizes = [("chr1", 2000), ("chr2", 1200)]
    write_bigwig(tmp_path / "a.bw", sizes, [("chr1", 200, 300, 4.0), ("chr1", 300, 400, 2.0), ("chr2", 700, 800, 8.0)])
    write_bigwig(tmp_path / "b.bw", sizes, [("chr1", 0, 2000, 1.0)])
    summary = build_peak_store(tmp_path / "g.fa", tmp_path / "out", bigwigs=[("a", tmp_path / "a.bw"), ("b", tmp_path / "b.bw")],
                               options=BinOptions(window=200, transform=transform), quiet=True)
    data = load(tmp_path / "out" / "train")
    assert data.task == "regression" and data.target_names == ["a", "b"] and len(data) == 10 + 6  # every bin
    raw = {("chr1", 200): 3.0, ("chr2", 600): 4.0}  # (100 * 4 + 100 * 2) / 200; 100 * 8 / 200 (no data = 0)
    f = {"none": lambda v: v, "log1p": np.log1p, "asinh": np.arcsinh}[transform]
    for row, (chrom, start) in enumerate(zip(data.annotations["chrom"], data.annotations["start"])):
        expected_a = raw.get((str(chrom), int(start)), 0.0)
        expected_b = 1.0 if chrom == "chr1" else 0.0
        np.testing.assert_allclose(data.targets[row], f(np.array([expected_a, expected_b])), rtol=1e-6)
    assert summary["positives"] is None


def test_bigwig_with_peaks_keeps_the_peak_bins_and_checks_chromosomes(tmp_path):
    write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 500, "chr2": "ACGT" * 300})
    write_bed(tmp_path / "p.bed", [("chr1", 400, 600), ("chr2", 600, 800)])
    write_bigwig(tmp_path / "a.bw", [("chr1", 2000), ("chr2", 1200)], [("chr1", 400, 600, 5.0)])
    build_peak_store(tmp_path / "g.fa", tmp_path / "out", peaks=[("p", tmp_path / "p.bed")],
                     bigwigs=[("a", tmp_path / "a.bw")], options=BinOptions(window=200), quiet=True)
    data = load(tmp_path / "out" / "train")
    assert list(data.ids) == ["chr1:400-600", "chr2:600-800"]
    np.testing.assert_allclose(data.targets[:, 0], [5.0, 0.0])
    write_bigwig(tmp_path / "other.bw", [("1", 2000), ("2", 1200)], [("1", 400, 600, 5.0)])
    with pytest.raises(MotifnetError, match=r"other.bw: the genome's chromosome\(s\) 'chr1', 'chr2' not in the genome; "
                       "the genome names them without 'chr'"):
        build_peak_store(tmp_path / "g.fa", tmp_path / "bad", bigwigs=[("o", tmp_path / "other.bw")],
                         options=BinOptions(window=200), quiet=True)
    assert _no_output(tmp_path, "bad")


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_sample_sheet_then_train_one_epoch_and_bad_input(planted, capsys):
    folder, genome, peaks, files = planted
    (folder / "sheet.tsv").write_text("name\tpath\nCTCF\tctcf_like.bed\nGATA1\t" + str(folder / "gata_like.bed") + "\n")
    code, out, _ = run_cli(capsys, "data", "convert", "--genome", folder / "genome.fa", "--sample-sheet", folder / "sheet.tsv",
                           "--window", 500, "--valid-chroms", "chr2", "--test-chroms", "chr3", "--background-ratio", 1,
                           "--out", folder / "set", "--quiet")
    assert code == 0 and f"wrote {folder / 'set'}/valid:" in out and "(multilabel, 2 targets)" in out
    assert load(folder / "set" / "test").target_names == ["CTCF", "GATA1"]
    code, out, _ = run_cli(capsys, "train", "--data", folder / "set" / "train", "--valid", folder / "set" / "valid",
                           "--model", "deepsea", "--set", "filters=[8,8]", "--set", "dropout=[0.1,0.1]", "--set", "dense=8",
                           "--epochs", 1, "--out", folder / "run", "--quiet", "--threads", 1)
    assert code == 0, out
    metrics = json.loads((folder / "run" / "metrics.json").read_text())
    assert set(json.dumps(metrics).split('"')) >= {"CTCF", "GATA1"}
    code, _, err = run_cli(capsys, "data", "convert", "--genome", folder / "genome.fa", "--peaks", files[0][1], files[0][1],
                           "--out", folder / "dup")
    assert code == 2 and err.count("\n") == 1 and "given twice" in err and _no_output(folder, "dup")
    code, _, err = run_cli(capsys, "data", "convert", "--peaks", files[0][1], "--out", folder / "dup")
    assert code == 2 and "need --genome" in err


def test_cli_bigwig_store_trains_with_the_poisson_loss(tmp_path, capsys):
    rng = np.random.default_rng(2)
    write_fasta(tmp_path / "g.fa", {"chr1": "".join(rng.choice(list("ACGT"), 8000))})
    write_bigwig(tmp_path / "cov.bw", [("chr1", 8000)], [("chr1", s, s + 100, float(rng.poisson(3))) for s in range(0, 8000, 100)])
    code, out, _ = run_cli(capsys, "data", "convert", "--genome", tmp_path / "g.fa", "--bigwig", tmp_path / "cov.bw",
                           "--window", 400, "--out", tmp_path / "cov", "--quiet")
    assert code == 0 and "(regression, 1 targets)" in out
    code, out, _ = run_cli(capsys, "train", "--data", tmp_path / "cov" / "train", "--model", "deepsea",
                           "--set", "filters=[8]", "--set", "dropout=[0.1]", "--set", "dense=0",
                           "--set", "regression_loss=poisson", "--epochs", 1, "--out", tmp_path / "run", "--quiet",
                           "--threads", 1)
    assert code == 0, out
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["training"]["regression_loss"] == "poisson"


def test_poisson_loss_is_the_negative_log_likelihood_of_log_rates():
    import torch

    from motifnet.training.losses import make_loss

    loss = make_loss("regression", 2, regression_loss="poisson")
    logits = torch.tensor([[0.0, 1.0], [2.0, -1.0]])
    counts = torch.tensor([[1.0, 3.0], [0.0, 2.0]])
    expected = (torch.exp(logits) - counts * logits).mean()  # up to the constant log(k!)
    torch.testing.assert_close(loss(logits, counts), expected)


def test_the_shipped_experiment_runs_on_a_peak_store(planted):
    from motifnet.experiments import example_path, load_experiment
    from motifnet.experiments.pipeline import run_experiment

    folder, genome, peaks, files = planted
    build_peak_store(folder / "genome.fa", folder / "store", peaks=files, quiet=True,
                     options=BinOptions(window=400, valid_chroms=["chr2"], test_chroms=["chr3"], background_ratio=1))
    small = ["models.DeepSEA.params={filters: [8, 8], dropout: [0.1, 0.1], dense: 8}",
             "models.DanQ.params={n_filters: 8, filter_length: 9, pool_size: 8, lstm_hidden: 4, dense: 8}"]
    experiment = load_experiment(example_path("deepsea_peaks"), [f"params.store={folder / 'store'}", "train.epochs=1", *small])
    run_experiment(experiment, folder / "run", quiet=True, log=None)
    metrics = json.loads((folder / "run" / "evaluate" / "DanQ" / "metrics.json").read_text())
    assert set(MOTIFS) <= set(json.dumps(metrics).split('"'))


def test_loaded_arrays_are_memory_mapped_and_targets_copy_on_write(planted):
    folder, genome, peaks, files = planted
    build_peak_store(folder / "genome.fa", folder / "out", peaks=files, quiet=True)
    data = load(folder / "out" / "train")
    assert isinstance(data.targets, np.memmap) and isinstance(data.tokens, np.memmap)
    mapped = [data.ids, data.lengths, *data.annotations.values()]
    assert all(isinstance(column, np.memmap) or isinstance(column.base, np.memmap) for column in mapped)
    assert not any(column.flags.writeable for column in mapped)
    part = data.subset(np.arange(3))
    assert part.ids.flags.writeable and list(part.ids) == list(data.ids[:3])  # a subset is an ordinary copy
    before = np.asarray(data.targets).copy()
    data.targets[:] = 7.0  # changes memory only
    np.testing.assert_array_equal(load(folder / "out" / "train").targets, before)
    assert not isinstance(load(folder / "out" / "train", mmap=False).targets, np.memmap)
