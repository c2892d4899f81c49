#!/usr/bin/env bash
# The GPU check, in one call on a CUDA machine whose python3 has a CUDA build of torch (and numba,
# scikit-learn, safetensors, pyyaml, tqdm, pandas, matplotlib, as GPU images usually do):
#   1. tests/test_device_paths.py on every device: training in float32, bfloat16 and float16 with
#      the gradient scaler, prediction, attributions (DeepLIFT needs tangermeme), the window scan,
#      DDP with NCCL in a process group of one; and the device choice tests (test_devices_more.py);
#   2. benchmarks/bench_gpu.py: training seq/s on the GPU beside one CPU thread, and fit's epoch.
# Results go to $OUT (default build/gpu): tests.log, gpu.json, and BENCHMARKS.md with the table.
# Copy gpu.json to benchmarks/results/ and run `python benchmarks/run.py --markdown-only` to add
# the table to BENCHMARKS.md.
#
# Without network access there, first fetch (on a machine with PyPI) the Python 3.12 wheels of
# motifnet's dependencies that such images lack, into .whl/ (ignored by git; carry it along):
#   benchmarks/gpu_check.sh fetch
set -uo pipefail
cd "$(dirname "$0")/.."
WHEELS=(tangermeme==1.6.0 memelite==0.5.0 pyfaidx==0.9.2.2 pybigwig==0.3.29 figwig==0.1.0)

if [[ "${1:-}" == fetch ]]; then
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 -d .whl "${WHEELS[@]}"
    exit $?
fi

out="${OUT:-build/gpu}"
mkdir -p "$out"
if compgen -G ".whl/*.whl" > /dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/motifnet-wheels .whl/*.whl \
        || exit 1
    export PYTHONPATH="/tmp/motifnet-wheels${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD/src:$PWD/tests${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
python3 -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.__version__, torch.cuda.get_device_name())" \
    || exit 2
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null

status=0
python3 -m pytest -q -p no:cacheprovider -rs tests/test_device_paths.py tests/test_devices_more.py \
    2>&1 | tee "$out/tests.log" || status=1
python3 benchmarks/run.py --only gpu --results-dir "$out" --markdown "$out/BENCHMARKS.md" || status=1
exit $status
