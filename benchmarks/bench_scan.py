"""Genome scanning throughput: the exact conv/pool fast path vs scoring windows one by one.

Input: the E. coli 536 genome (4.94 Mbp, ../shared/data/genomes), both strands, stride 1, with a
paper-size DeepBind (16 filters x 24, max pooling, hidden 32; random weights, seed 0: speed does
not depend on the weights) and 101 bp windows. Rows:

- ``fast path``: :func:`motifnet.scan.scan_tokens` (``method="fast"``) over the whole genome, in a
  fresh subprocess so its peak RSS is the scan's own (reported with the genome's size);
- ``window path (batched)``: the same API with ``method="window"`` (windows cut out, one-hot,
  model in batches of 256) on a subsample of consecutive windows, extrapolated to the genome;
- ``one window at a time``: ``model(one_hot(window))`` and its reverse complement per window, in
  a Python loop, on a smaller subsample, extrapolated.

Both references are checked to give the same logits as the fast path on their windows. One row
times the fast path compiled for AVX2 only (``NUMBA_CPU_NAME=haswell``), as a machine without
AVX-512 runs it; one the cost of many short records (5,000 of 300 bp, a transcriptome's shape)
against the same bases as one record. One more row times the fast path with a large model, the
``encode`` preset (128 filters, max + mean pooling, 256 -> 32 -> 1 head), on the first 1 Mbp,
with its peak RSS. One the bedGraph text
of the scores of the first 1 Mbp (what ``motifnet scan`` writes) against the Python formatting it
replaced, checked identical. And one the command a user types, ``motifnet scan`` of the genome
(FASTA.gz to bedGraph, a run folder holding the same model) in a fresh process, end to end:
interpreter and imports, reading, encoding, the scan, probabilities, text and writing, against
the fast path alone, timed round-robin (each round: the fast path in a fresh process, the run's
first scan, which loads the model with torch and saves its plan, and a later scan, which reads the
saved plan), with the same threads. Quick mode: the first 10 kbp of the lambda phage genome and
smaller subsamples.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import DATA_DIR, in_subprocess, interleaved_seconds, median_seconds, peak_rss_mb, row  # noqa: E402

ECOLI = DATA_DIR / "genomes" / "ecoli_536_NC_008253.fna.gz"
LAMBDA = DATA_DIR / "genomes" / "lambda_virus.fa.gz"
WINDOW = 101


def _model(preset: str = "paper"):
    import torch

    from motifnet.models import build

    torch.manual_seed(0)
    return build("deepbind", 1, WINDOW, preset=preset).eval()


def _genome(path: Path, limit: int | None) -> np.ndarray:
    from motifnet.io.fasta import iter_fasta
    from motifnet.sequence import encode

    if not path.exists():  # fall back to random sequence of the same order of size
        return np.random.default_rng(0).integers(0, 4, limit or 4_938_920).astype(np.uint8)
    tokens = np.concatenate([encode(seq, record=name) for name, seq in iter_fasta(path)])
    return tokens[:limit] if limit else tokens


def _fast_scan(path: str, limit: int | None, repeat: int, preset: str = "paper") -> dict:
    """Run in a subprocess: scan the genome with the fast path (both strands); median seconds."""
    import numba

    from motifnet.scan import scan_tokens

    model = _model(preset)
    tokens = _genome(Path(path), limit)
    list(scan_tokens(model, tokens[:5000], WINDOW, 1, "both", method="fast"))  # compile / warm up
    counted = {}

    cpu: list[float] = []

    def once():
        start = time.process_time()  # CPU seconds of all threads: less sensitive to other load
        counted["windows"] = sum(len(starts) for starts, _, _ in scan_tokens(model, tokens, WINDOW, 1, "both",
                                                                            method="fast"))
        cpu.append(time.process_time() - start)

    median, low, high = median_seconds(once, repeat=repeat, warmup=0)
    return {"seconds": median, "min": low, "max": high, "cpu_seconds": float(np.median(cpu)),
            "bases": int(len(tokens)), "windows": counted["windows"], "threads": numba.get_num_threads()}


def _fast_scan_for(cpu_name: str, path: str, limit: int | None, repeat: int) -> dict:
    """Run in a subprocess: :func:`_fast_scan` with numba compiling for the LLVM CPU ``cpu_name``
    ('haswell': AVX2, no AVX-512) into a new, empty cache folder (the compile is not timed)."""
    import os

    with tempfile.TemporaryDirectory(prefix=f"numba-{cpu_name}-") as cache:
        os.environ.update(NUMBA_CPU_NAME=cpu_name, NUMBA_CACHE_DIR=cache)  # read when numba is imported
        return _fast_scan(path, limit, repeat)


def _avx2_row(avx2: dict | None, fast_mbps: float) -> dict:
    name = "fast path compiled for AVX2 only (numba for LLVM's haswell CPU) vs for this CPU, whole genome"
    if avx2 is None:
        return row(name, None, unit="Mbp/s", status="skipped in quick mode (a compile takes seconds)")
    return row(name, _sig(avx2["bases"] / avx2["seconds"] / 1e6), _sig(fast_mbps), unit="Mbp/s",
               seconds=round(avx2["seconds"], 2), cpu_seconds=round(avx2["cpu_seconds"], 2))


def _run_folder(folder: Path) -> Path:
    """A run folder holding :func:`_model` (what ``motifnet train`` writes, without training)."""
    from motifnet.runs import BEST_WEIGHTS, RUN_FORMAT, RUN_VERSION, save_weights, write_json

    model = _model()
    folder.mkdir(parents=True)
    write_json(folder / "config.json", {
        "format": RUN_FORMAT, "version": RUN_VERSION, "model": model.config, "task": "binary",
        "target_names": ["bound"], "alphabet": "DNA", "input_length": WINDOW, "training": {}, "seed": 0,
    })
    save_weights(model.state_dict(), folder / BEST_WEIGHTS)
    return folder


def _scan_fasta(path: Path, limit: int | None, folder: Path) -> Path:
    """The genome as the command reads it: the file itself, or its first ``limit`` bases as FASTA."""
    if limit is None and path.exists():
        return path
    from motifnet.sequence import decode

    out = folder / "genome.fa"
    sequence = decode(_genome(path, limit))
    out.write_text(">genome\n" + "".join(sequence[i : i + 60] + "\n" for i in range(0, len(sequence), 60)))
    return out


def _cli_scan(run_dir: Path, fasta: Path, out: Path, threads: int, env: dict | None = None) -> dict:
    """One ``motifnet scan`` (bedGraph, both strands) in a fresh process: wall and CPU seconds."""
    command = [sys.executable, "-m", "motifnet", "scan", "--run", str(run_dir), "--fasta", str(fasta), "--out",
               str(out), "--quiet", "--threads", str(threads)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return {"seconds": seconds, "cpu_seconds": cpu, "output_mb": out.stat().st_size / 2**20}


def _fast_and_cli(path: Path, limit: int | None, rounds: int) -> tuple[dict, float, dict, dict]:
    """The fast path alone (:func:`_fast_scan`, a fresh process), the run's first command (no saved
    plan: the model loaded with torch, its plan saved) and a later one (the saved plan), round-robin
    after one untimed command (numba's cache, the page cache): ``(fast, its peak RSS, later command,
    first command)``, medians."""
    from motifnet.scan.saved_plan import plan_path

    fast, peaks, later, first = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        run_dir, out = _run_folder(Path(tmp) / "run"), Path(tmp) / "scan.bedgraph"
        fasta = _scan_fasta(path, limit, Path(tmp))
        _cli_scan(run_dir, fasta, out, 1)
        for _ in range(rounds):
            result, peak = in_subprocess(_fast_scan, str(path), limit, 1)
            fast.append(result)
            peaks.append(peak)
            plan_path(run_dir).unlink()
            first.append(_cli_scan(run_dir, fasta, out, result["threads"]))
            later.append(_cli_scan(run_dir, fasta, out, result["threads"]))

    def medians(results: list[dict], keys: tuple[str, ...] = ("seconds", "cpu_seconds", "output_mb")) -> dict:
        return {key: float(np.median([r[key] for r in results])) for key in keys}

    return {**fast[0], **medians(fast, ("seconds", "cpu_seconds"))}, max(peaks), medians(later), medians(first)


def _first_scans(path: Path, limit: int | None, threads: int) -> dict:
    """The first and second ``motifnet scan`` after an install, each in a fresh process: numba's
    cache in a new empty folder (``NUMBA_CACHE_DIR``), filled by ``python -m motifnet.precompile``
    as ``make`` does after installing; and the first scan with an empty cache and no precompile.
    Each first scan is also the run's first (no saved plan)."""
    import os

    from motifnet.scan.saved_plan import plan_path

    with tempfile.TemporaryDirectory() as tmp:
        run_dir, out = _run_folder(Path(tmp) / "run"), Path(tmp) / "scan.bedgraph"
        fasta = _scan_fasta(path, limit, Path(tmp))
        env = {**os.environ, "NUMBA_CACHE_DIR": str(Path(tmp) / "cache-installed")}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "motifnet.precompile"], check=True, capture_output=True, env=env)
        precompile = time.perf_counter() - start
        first = _cli_scan(run_dir, fasta, out, threads, env)
        second = _cli_scan(run_dir, fasta, out, threads, env)
        bare = {**os.environ, "NUMBA_CACHE_DIR": str(Path(tmp) / "cache-empty")}
        plan_path(run_dir).unlink()  # a first scan of the run too, as after an install
        uncompiled = _cli_scan(run_dir, fasta, out, threads, bare)
    return {"precompile_seconds": precompile, "first": first["seconds"], "second": second["seconds"],
            "without_precompile": uncompiled["seconds"]}


def _first_scan_row(first_scans: dict | None) -> dict:
    name = "motifnet scan, first run after install (precompiled) vs the second run"
    if first_scans is None:
        return row(name, None, unit="s", status="skipped in quick mode (a precompile takes seconds)")
    return row(name, _sig(first_scans["first"]), _sig(first_scans["second"]), unit="s", higher_is_better=False,
               slower_by_seconds=round(first_scans["first"] - first_scans["second"], 2),
               precompile_seconds=round(first_scans["precompile_seconds"], 1),
               first_without_precompile_seconds=round(first_scans["without_precompile"], 2))


def _python_bedgraph(record: str, starts: np.ndarray, values: np.ndarray, window: int) -> str:
    """The reference: what ``scan.bedgraph_lines`` wrote before its compiled writer (stride 1)."""
    begin = starts + (window - 1) // 2
    text = np.char.mod("%.4g", np.asarray(values, dtype=np.float32).astype(np.float64))
    keep = np.ones(len(text), dtype=bool)
    keep[1:] = text[1:] != text[:-1]
    first = np.flatnonzero(keep)
    ends = begin[np.append(first[1:], len(text)) - 1] + 1
    return "".join(f"{record}\t{b}\t{e}\t{v}\n" for b, e, v in zip(begin[first], ends, text[first]))


def _many_records_rates(model, tokens: np.ndarray, n_records: int, length: int) -> tuple[float, float]:
    """Mbp/s of :func:`motifnet.scan.scan_records` (fast path, both strands) over ``n_records``
    records of ``length`` bases (the first ``n_records * length`` tokens, cut up: a transcriptome's
    shape) and over the same tokens as one record, medians of 3 after a warm-up, round-robin."""
    from motifnet.scan import scan_records

    bases = n_records * length
    pieces = [(f"r{i}", tokens[i * length : (i + 1) * length]) for i in range(n_records)]
    whole = [("whole", tokens[:bases])]

    def scan(records):
        return lambda: sum(len(chunk.starts) for chunk in scan_records(model, records, WINDOW, quiet=True))

    seconds = interleaved_seconds({"many": scan(pieces), "one": scan(whole)}, repeat=3, warmup=1)
    return bases / seconds["many"][0] / 1e6, bases / seconds["one"][0] / 1e6


def _bedgraph_rates(model, tokens: np.ndarray, quick: bool) -> tuple[float, float]:
    """Lines per second of ``io.bedgraph.bedgraph_blocks`` (the bytes ``motifnet scan`` writes) and
    of the Python reference on the scores of a fast scan of ``tokens`` (both strands, stride 1);
    checks that the texts are identical."""
    from motifnet.io.bedgraph import bedgraph_blocks
    from motifnet.scan import probabilities, scan_tokens

    starts, logits = [np.concatenate(part) for part in zip(*[c[:2] for c in scan_tokens(model, tokens, WINDOW)])]
    scores = probabilities(logits, "binary")[:, 0]
    texts = {}
    compiled_s, _, _ = median_seconds(lambda: texts.update(new=bedgraph_blocks("chr", starts, scores, WINDOW, 1)),
                                      repeat=1 if quick else 3)
    python_s, _, _ = median_seconds(lambda: texts.update(old=_python_bedgraph("chr", starts, scores, WINDOW)),
                                    repeat=1 if quick else 3)
    text = b"".join(texts["new"]).decode()
    assert text == texts["old"], "the compiled bedGraph writer and Python disagree"
    lines = text.count("\n")
    return lines / compiled_s, lines / python_s


def _cpu_seconds(fn) -> float:
    """CPU seconds (all threads of this process) of one call of ``fn``."""
    start = time.process_time()
    fn()
    return time.process_time() - start


def _sig(value: float) -> float:
    return float(f"{value:.4g}")


def run(quick: bool = False) -> dict:
    import torch

    from motifnet.scan import scan_tokens
    from motifnet.sequence import one_hot, reverse_complement_tokens

    path, limit = (LAMBDA, 10_000) if quick else (ECOLI, None)
    batched_windows, single_windows = (1_000, 100) if quick else (20_000, 1_000)
    fast, peak_mb, command, first_command = _fast_and_cli(path, limit, 1 if quick else 3)
    if quick:  # no subprocess start-up in the smoke test; the peak is then this process's
        large, large_peak_mb = _fast_scan(str(path), limit, 1, "encode"), peak_rss_mb()
    else:
        large, large_peak_mb = in_subprocess(_fast_scan, str(path), 1_000_000, 3, "encode")
    bases, windows = fast["bases"], fast["windows"]
    fast_mbps = bases / fast["seconds"] / 1e6
    avx2 = None if quick else in_subprocess(_fast_scan_for, "haswell", str(path), limit, 3)[0]

    model = _model()
    tokens = _genome(path, limit)
    sample = tokens[: batched_windows + WINDOW - 1]
    reference = np.concatenate([c[1] for c in scan_tokens(model, sample, WINDOW, 1, "both", method="fast")])
    batched = {}

    def window_path():
        batched["logits"] = np.concatenate(
            [c[1] for c in scan_tokens(model, sample, WINDOW, 1, "both", method="window", batch_size=256)])

    window_s, _, _ = median_seconds(window_path, repeat=1 if quick else 3, warmup=1)
    window_cpu = _cpu_seconds(window_path)
    assert np.allclose(batched["logits"], reference, atol=1e-5), "window path and fast path disagree"
    window_mbps = batched_windows / window_s / 1e6

    single = []

    def one_at_a_time():
        single.clear()
        with torch.no_grad():
            for s in range(single_windows):
                window = tokens[s : s + WINDOW]
                forward = model(one_hot(window[None]))
                reverse = model(one_hot(reverse_complement_tokens(window)[None]))
                single.append(torch.maximum(forward, reverse)[0].numpy())

    single_s, _, _ = median_seconds(one_at_a_time, repeat=1 if quick else 3, warmup=1)
    single_cpu = _cpu_seconds(one_at_a_time)
    assert np.allclose(np.stack(single), reference[:single_windows], atol=1e-5), "one-at-a-time disagrees"
    single_mbps = single_windows / single_s / 1e6

    first_scans = None if quick else _first_scans(path, limit, fast["threads"])  # a precompile: seconds
    n_records = 30 if quick else 5_000
    many_rate, one_rate = _many_records_rates(model, tokens, n_records, 300)
    bedgraph_rate, python_rate = _bedgraph_rates(model, tokens[: (20_000 if quick else 1_000_000) + WINDOW - 1], quick)

    genome_mb = bases / 2**20  # one byte per base as tokens
    rows = [
        row("fast path (whole genome)", _sig(fast_mbps), _sig(window_mbps), unit="Mbp/s",
            seconds=round(fast["seconds"], 2), cpu_seconds=round(fast["cpu_seconds"], 2),
            mbp_per_cpu_second=_sig(bases / fast["cpu_seconds"] / 1e6), windows=windows, strands=2, peak_rss_mb=round(peak_mb, 1),
            genome_tokens_mb=round(genome_mb, 1), reference="window path (batched), same run",
            cpu_ratio=_sig((windows / batched_windows * window_cpu) / fast["cpu_seconds"])),
        _avx2_row(avx2, fast_mbps),
        row("window path, batched 256 (subsample, extrapolated)", _sig(window_mbps), None, unit="Mbp/s",
            windows_timed=batched_windows, extrapolated_genome_seconds=round(windows / batched_windows * window_s, 1),
            extrapolated_genome_cpu_seconds=round(windows / batched_windows * window_cpu, 1)),
        row(f"fast path, encode preset (128 x 24, max + mean, head 256-32-1), first {large['bases']:,} bp",
            _sig(large["bases"] / large["seconds"] / 1e6), None, unit="Mbp/s", seconds=round(large["seconds"], 2),
            cpu_seconds=round(large["cpu_seconds"], 2), bases=large["bases"], peak_rss_mb=round(large_peak_mb, 1)),
        row(f"fast path, {n_records:,} records of 300 bp vs the same bases as one record (per-record cost)",
            _sig(many_rate), _sig(one_rate), unit="Mbp/s", records=n_records),
        row("bedGraph text of scan scores: compiled writer vs Python f-strings (same lines)", _sig(bedgraph_rate),
            _sig(python_rate), unit="lines/s"),
        row("motifnet scan, end to end (FASTA to bedGraph, fresh process) vs the fast path alone",
            _sig(bases / command["seconds"] / 1e6), _sig(fast_mbps), unit="Mbp/s",
            seconds=round(command["seconds"], 2), cpu_seconds=round(command["cpu_seconds"], 2),
            fast_path_seconds=round(fast["seconds"], 2), output_mb=round(command["output_mb"], 1),
            threads=fast["threads"]),
        row("motifnet scan, end to end: a later scan of a run (its saved plan, no torch) vs its first "
            "(the model loaded with torch, the plan saved)", _sig(command["seconds"]), _sig(first_command["seconds"]),
            unit="s", higher_is_better=False, cpu_seconds=round(command["cpu_seconds"], 2),
            first_cpu_seconds=round(first_command["cpu_seconds"], 2), threads=fast["threads"]),
        _first_scan_row(first_scans),
        row("fast path vs one window at a time", _sig(fast_mbps), _sig(single_mbps), unit="Mbp/s",
            windows_timed=single_windows, extrapolated_genome_seconds=round(windows / single_windows * single_s, 1),
            extrapolated_genome_cpu_seconds=round(windows / single_windows * single_cpu, 1),
            cpu_ratio=_sig((windows / single_windows * single_cpu) / fast["cpu_seconds"])),
    ]
    notes = (
        f"{'lambda phage, first 10 kbp (quick)' if quick else 'E. coli 536, 4.94 Mbp'}; both strands, stride 1, "
        f"window {WINDOW}, DeepBind paper preset (16 x 24, max pool, hidden 32), random weights. Mbp/s = genome "
        "bases (each scored on both strands) per second; ratio = fast / reference, medians of repeats. Peak RSS is "
        "the fast-path subprocess's (Python + torch + numba + the encoded genome + one 256 kbp chunk). cpu_seconds is the "
        "process CPU time of the fast scan (all threads), less sensitive to other load than wall time; on 2 idle cores "
        "the wall time could at best be cpu_seconds / 2; cpu_ratio compares CPU seconds (extrapolated reference / fast), "
        "the ratio least disturbed by load that changes between the timed sections. The end-to-end row: "
        "`motifnet scan --quiet --threads <the fast path's>` of the same genome in a fresh process (Python "
        "start-up, numba import, the run's saved plan, gzip FASTA reading, encoding, the scan, probabilities, "
        "bedGraph text, writing; after one untimed run, which saved the plan), timed round-robin with the fast "
        "path alone (each in its own process) and with the run's first scan (its saved plan deleted: torch "
        "imported, the model loaded, the plan saved), medians of rounds; its ratio is the fraction of the fast "
        "path's speed that the command reaches, and cpu_seconds is the command's process CPU time. The "
        "first-run row: numba's cache in a new "
        "empty folder (NUMBA_CACHE_DIR), filled by `python -m motifnet.precompile` as `make` does after "
        "installing, then two runs of the command (seconds of each, lower is better); "
        "first_without_precompile_seconds: the first run with an empty cache and no precompile. The AVX2 row: "
        "the whole-genome fast path in a fresh process whose numba compiles for LLVM's haswell CPU "
        "(NUMBA_CPU_NAME=haswell: AVX2 and FMA, no AVX-512) into an empty cache, on this machine: the kernel "
        "as an AVX2-only machine runs it, with this machine's memory and clock. The fast "
        "path's results equal the window path's to 1e-5 (checked here on the subsample, tested in tests/test_scan.py). "
        f"torch threads {torch.get_num_threads()}; timings on a shared machine, see load_avg in the machine block."
    )
    return {"title": "Genome scan: exact conv/pool fast path vs window-by-window scoring", "rows": rows, "notes": notes}


if __name__ == "__main__":
    import json

    print(json.dumps(run("--quick" in sys.argv), indent=2))
