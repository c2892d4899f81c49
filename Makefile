# Two commands for a new user: `make demo` and `make test`. Both create .venv and install first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench bench-quick eval-encode eval-rbp clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0   # the CPU wheel; never the CUDA build
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m motifnet.precompile   # numba kernels compiled once, not on the first scan or TF-MoDISco run
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/motifnet demo --out runs/demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/run.py --threads 1

bench-quick: $(STAMP)
	$(BIN)/python benchmarks/run.py --quick

eval-encode: $(STAMP)
	$(BIN)/python benchmarks/eval_encode.py

eval-rbp: $(STAMP)   # the 6 RBP-31 CLIP-seq experiments (RNA) beside iDeep's published AUROCs
	$(BIN)/motifnet run src/motifnet/examples/rbp_clip.yaml --out runs/rbp_clip --jobs auto --threads 1

clean:
	rm -rf $(VENV) runs build src/*.egg-info
