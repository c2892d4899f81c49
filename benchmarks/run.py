"""Run motifnet's benchmarks and write their JSON results and the BENCHMARKS.md table.

Usage::

    python benchmarks/run.py                  # all benchmarks, full size -> benchmarks/results, BENCHMARKS.md
    python benchmarks/run.py --quick          # tiny inputs (CI smoke test) -> build/bench-quick/
    python benchmarks/run.py --only onehot    # one benchmark (by name, repeatable); the table keeps the others
    python benchmarks/run.py --markdown-only  # regenerate BENCHMARKS.md from the JSON already written

Each ``benchmarks/bench_<name>.py`` defines ``run(quick: bool = False) -> dict`` returning
``{"title", "rows", "notes"}``, and may define ``skip_reason(quick) -> str | None`` (why not
to run on this machine: its earlier JSON then stays). It runs in its own subprocess so that its
peak memory and any crash are its own. A failed benchmark is recorded (its JSON holds the error), the others still
run, and the exit status is 1 at the end. ``--quick`` writes to a separate folder so a smoke run
never overwrites the real table. Every JSON in the results folder with ``rows`` (including
``eval_encode.json`` from the long real-data evaluation) becomes a table in the Markdown file.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DEFAULT_RESULTS = BENCH_DIR / "results"
DEFAULT_QUICK_RESULTS = ROOT / "build" / "bench-quick"
DEFAULT_MARKDOWN = ROOT / "BENCHMARKS.md"
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))


def discover(names: list[str] | None = None, folder: Path = BENCH_DIR) -> dict[str, Path]:
    """Map benchmark name -> file for every ``bench_<name>.py`` in ``folder`` (only ``names`` if given).

    Raises:
        SystemExit: a requested name has no file.
    """
    found = {path.stem[len("bench_"):]: path for path in sorted(Path(folder).glob("bench_*.py"))}
    if names:
        missing = [name for name in names if name not in found]
        if missing:
            raise SystemExit(f"no benchmark named {missing}; have {sorted(found)}")
        found = {name: found[name] for name in names}
    return found


def write_json(path: Path, payload: dict) -> None:
    """Write ``payload`` as JSON atomically (temporary file beside it, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle, indent=2, default=_jsonable)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _jsonable(value: Any) -> Any:
    """Make NumPy scalars/arrays and paths JSON-serialisable."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


# ---------------------------------------------------------------------------------------------
# The child: runs one benchmark file and writes its raw result


def _child(path: Path, out: Path, quick: bool) -> int:
    import importlib.util

    from _harness import peak_rss_mb

    start = time.perf_counter()
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
        reason = module.skip_reason(quick) if hasattr(module, "skip_reason") else None
        result = {"skipped": reason} if reason else module.run(quick=quick)
        if "skipped" not in result and (not isinstance(result, dict) or not isinstance(result.get("rows"), list)):
            raise TypeError(f"run() must return a dict with a 'rows' list, got {type(result).__name__}")
        status = 0
    except BaseException:
        result = {"error": traceback.format_exc(limit=8)}
        status = 1
    result["elapsed_s"] = time.perf_counter() - start
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    result["cpu_s"] = sum(u.ru_utime + u.ru_stime for u in usage)  # load-independent cost of the run
    result["peak_rss_mb"] = peak_rss_mb()
    write_json(out, result)
    return status


# ---------------------------------------------------------------------------------------------
# The parent


def run_one(name: str, path: Path, quick: bool, timeout: float) -> dict:
    """Run one benchmark in a subprocess; return its result dict (with ``error`` if it failed)."""
    with tempfile.TemporaryDirectory(prefix="motifnet-bench-") as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--child", str(path), "--out", str(out)]
        if quick:
            command.append("--quick")
        start = time.perf_counter()
        try:
            process = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
            stderr = process.stderr
        except subprocess.TimeoutExpired as expired:
            stderr = (expired.stderr or b"").decode(errors="replace") if isinstance(expired.stderr, bytes) else ""
            return {"title": name, "rows": [], "error": f"timed out after {timeout:.0f} s",
                    "stderr_tail": stderr[-2000:], "elapsed_s": time.perf_counter() - start}
        try:
            result = json.loads(out.read_text())
        except (OSError, ValueError):
            result = {"rows": [], "error": f"exited with code {process.returncode} without a result",
                      "elapsed_s": time.perf_counter() - start}
        if process.returncode != 0 and "error" not in result:
            result["error"] = f"exited with code {process.returncode}"
        if "error" in result and stderr.strip():
            result["stderr_tail"] = stderr[-2000:]
    result.setdefault("title", name)
    result.setdefault("rows", [])
    result.setdefault("notes", "")
    return result


def _git_commit() -> str:
    from _harness import git_commit

    return git_commit()


def run_all(names: list[str] | None, quick: bool, results_dir: Path, timeout: float, echo: bool = True,
            folder: Path = BENCH_DIR, jobs: int = 1) -> int:
    """Run the benchmarks in ``folder``, writing ``results_dir/<name>.json``; return the number that failed.

    ``jobs`` > 1 runs that many benchmark processes at once: for smoke runs only, since
    concurrent benchmarks disturb each other's timings.
    """
    from concurrent.futures import ThreadPoolExecutor

    from _harness import machine, matmul_gflops

    benchmarks = discover(names, folder)
    context = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "machine": machine(),
        "quick": quick,
        "concurrent_jobs": jobs,
    }
    context["machine"]["matmul_gflops_f32"] = round(matmul_gflops(512 if quick else 2048, repeat=3 if quick else 5), 1)

    def one(item: tuple[str, Path]) -> bool:
        name, path = item
        result = run_one(name, path, quick, timeout)
        if result.get("skipped"):  # nothing measured: the JSON of an earlier run stays
            if echo:
                print(f"[bench] {name}: skipped ({result['skipped']})", flush=True)
            return False
        result.update({"name": name, **context})
        write_json(results_dir / f"{name}.json", result)
        failed = "error" in result
        if echo:
            state = "FAILED: " + result["error"].strip().splitlines()[-1] if failed else f"{len(result['rows'])} rows"
            print(f"[bench] {name}: {result.get('elapsed_s', 0):.1f} s ({result.get('cpu_s', 0):.1f} s CPU), {state}",
                  flush=True)
        return failed

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return sum(pool.map(one, benchmarks.items()))


# ---------------------------------------------------------------------------------------------
# Markdown


def fmt(value: Any) -> str:
    """Format a table cell: numbers to about 3 significant figures, None as a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        magnitude = abs(value)
        if magnitude >= 1000:
            return f"{value:,.0f}"
        if magnitude >= 100:
            return f"{value:.1f}"
        if magnitude >= 1 or magnitude == 0:
            return f"{value:.3g}" if magnitude < 10 else f"{value:.2f}"
        return f"{value:.3g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(rows: list[dict]) -> list[str]:
    """A Markdown table with the union of the rows' keys as columns (first-seen order)."""
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(row.get(column)) for column in columns) + " |" for row in rows]
    return lines


def slower_rows(result: dict) -> list[str]:
    """Lines for rows whose ``ratio`` (motifnet relative to the reference; > 1 = better) is below 1."""
    lines = []
    for row in result.get("rows", []):
        ratio = row.get("ratio")
        if isinstance(ratio, (int, float)) and not isinstance(ratio, bool) and 0 < ratio < 1:
            unit = f" {row['unit']}" if row.get("unit") else ""
            lines.append(
                f"- **{result.get('title', result.get('name'))} — {row.get('name', '?')}**: motifnet "
                f"{fmt(row.get('value'))}{unit} vs reference {fmt(row.get('ref'))}{unit}: ratio {ratio:.3g} "
                + (f"(the reference is {1 / ratio:.2f}x better)." if ratio < 0.95 else "(within noise).")
            )
    return lines


def load_results(results_dir: Path) -> dict[str, dict]:
    """Every ``*.json`` in ``results_dir`` that holds a ``rows`` list, by file stem."""
    results = {}
    for path in sorted(results_dir.glob("*.json")):
        try:
            payload = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(payload, dict) and isinstance(payload.get("rows"), list):
            results[path.stem] = payload
    return results


def markdown(results: dict[str, dict]) -> str:
    """The BENCHMARKS.md text for ``results`` (name -> result JSON)."""
    lines = ["# motifnet benchmarks", "",
             "Generated by `python benchmarks/run.py` (`make bench`) from `benchmarks/results/*.json`; "
             "do not edit by hand. Each timing is the median of repeated runs; each reference was measured "
             "in the same run on the same machine. A `ratio` above 1 means motifnet is better than the "
             "reference (faster, or less memory), below 1 that it is worse.", ""]
    if not results:
        return "\n".join(lines + ["No results yet.", ""])
    newest = max(results.values(), key=lambda r: r.get("date", ""))
    machine = newest.get("machine", {})
    lines += ["## Machine", "", "The newest result's machine; each section names the CPU that measured it.", ""]
    lines += [f"- {key}: {fmt(value)}" for key, value in machine.items()]
    rates = {}  # cpu -> the matmul rates its sections measured
    for result in results.values():
        measured = result.get("machine", {})
        if measured.get("cpu"):
            rates.setdefault(measured["cpu"], set()).update({measured.get("matmul_gflops_f32")} - {None})
    if len(rates) > 1:
        lines.append("- cpus of the sections: " + "; ".join(
            f"{cpu} (matmul {', '.join(fmt(g) for g in sorted(gflops))} GFLOP/s)" for cpu, gflops in rates.items()))
    dates = sorted({r["date"] for r in results.values() if r.get("date")})
    commits = sorted({r["commit"] for r in results.values() if r.get("commit")})
    lines += [f"- date(s): {', '.join(dates)}", f"- commit(s): {', '.join(commits)}"]
    if any(r.get("quick") for r in results.values()):
        lines.append("- **quick mode** (tiny inputs; a smoke test, not a measurement)")
    lines += ["- absolute times depend on the machine and its load (see load_avg_1min); "
              "ratios compare runs taken side by side.", ""]

    slower = [line for result in results.values() for line in slower_rows(result)]
    failed = [name for name, result in results.items() if "error" in result]
    lines += ["## Where motifnet is slower than its reference", ""]
    lines += slower or ["None of the measured rows."]
    lines.append("")
    if failed:
        lines += ["## Failed benchmarks", ""] + [f"- `{name}`: {results[name]['error'].strip().splitlines()[-1]}"
                                                 for name in failed] + [""]

    for name, result in results.items():
        lines += [f"## {result.get('title', name)}", ""]
        meta = [f"`{name}`"]
        if "elapsed_s" in result:
            meta.append(f"ran {result['elapsed_s']:.1f} s" + (f" ({result['cpu_s']:.1f} s CPU)" if "cpu_s" in result else ""))
        if "peak_rss_mb" in result:
            meta.append(f"peak RSS {result['peak_rss_mb']:.0f} MiB")
        if result.get("date"):
            meta.append(f"{result['date']}, commit {result.get('commit', '?')}")
        measured = result.get("machine", {})
        if measured.get("cpu"):
            gflops = measured.get("matmul_gflops_f32")
            meta.append(measured["cpu"] + (f", matmul {fmt(gflops)} GFLOP/s" if gflops is not None else ""))
        if measured.get("load_avg_1min") is not None:
            meta.append(f"load average {measured['load_avg_1min']}, torch threads {measured.get('torch_threads')}")
        lines += ["*" + "; ".join(meta) + "*", ""]
        if "error" in result:
            lines += ["**FAILED**:", "", "```", result["error"].strip()[-1500:], "```", ""]
        if isinstance(result.get("summary"), dict):
            lines += [f"- {key}: {fmt(value)}" for key, value in result["summary"].items()] + [""]
        if result["rows"]:
            lines += table(result["rows"]) + [""]
        if result.get("notes"):
            lines += [str(result["notes"]).strip(), ""]
    return "\n".join(lines)


def write_markdown(results_dir: Path, path: Path) -> None:
    """Regenerate the Markdown table at ``path`` from the JSON in ``results_dir`` (atomically)."""
    text = markdown(load_results(results_dir))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny inputs, seconds per benchmark (CI smoke test)")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this benchmark (repeatable)")
    parser.add_argument("--results-dir", type=Path, help="where to write <name>.json "
                        "(default benchmarks/results, or build/bench-quick with --quick)")
    parser.add_argument("--markdown", type=Path, help="Markdown output (default BENCHMARKS.md, or "
                        "<results-dir>/BENCHMARKS.md with --quick or --results-dir)")
    parser.add_argument("--markdown-only", action="store_true", help="only regenerate the Markdown")
    parser.add_argument("--timeout", type=float, help="seconds per benchmark (default 3600, 120 with --quick)")
    parser.add_argument("--threads", type=int, help="torch/OpenMP threads for every benchmark (sets OMP_NUM_THREADS "
                        "and MKL_NUM_THREADS; default: torch's own choice, one per core)")
    parser.add_argument("--jobs", type=int, default=1, help="benchmarks run at once (default 1; more only for "
                        "smoke runs: concurrent benchmarks disturb each other's timings)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--bench-dir", type=Path, default=BENCH_DIR, help="folder of bench_*.py (default: benchmarks/)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        return _child(args.child, args.out, args.quick)
    if args.list:
        print("\n".join(discover(folder=args.bench_dir)))
        return 0
    if args.threads:
        # Set before torch is imported here (machine(), matmul_gflops) and inherited by every child.
        os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(args.threads)
    results_dir = args.results_dir or (DEFAULT_QUICK_RESULTS if args.quick else DEFAULT_RESULTS)
    if args.markdown:
        markdown_path = args.markdown
    elif args.quick or args.results_dir:
        markdown_path = results_dir / "BENCHMARKS.md"
    else:
        markdown_path = DEFAULT_MARKDOWN
    results_dir.mkdir(parents=True, exist_ok=True)
    failures = 0
    if not args.markdown_only:
        timeout = args.timeout or (120.0 if args.quick else 3600.0)
        failures = run_all(args.only, args.quick, results_dir, timeout, folder=args.bench_dir, jobs=args.jobs)
    write_markdown(results_dir, markdown_path)
    print(f"[bench] wrote {results_dir}/*.json and {markdown_path}" + (f"; {failures} failed" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
