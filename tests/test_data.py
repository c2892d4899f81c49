"""motifnet.data: SeqData, the store, splits, batches, summary."""

import json

import numpy as np
import pytest
import torch

from motifnet.data import (
    SITE_DTYPE,
    SeqData,
    batch_indices,
    batches,
    concatenate,
    is_store,
    load,
    random_split,
    save,
    split_by_values,
    summarize,
)
from motifnet.errors import MotifnetError
from motifnet.sequence import N_TOKEN, decode


def make_binary(n=40, seed=0, length=12):
    rng = np.random.default_rng(seed)
    sequences = ["".join(rng.choice(list("ACGT"), size=rng.integers(length // 2, length + 1))) for _ in range(n)]
    labels = (np.arange(n) % 4 == 0).astype(int)  # 25% positives
    sites = np.array([(1, 0, 2, 6, 1), (3, 1, 0, 4, -1)], dtype=SITE_DTYPE)
    return SeqData.from_strings(
        sequences, labels, "binary", sites=sites, motif_names=["m0", "m1"],
        annotations={"fold": np.array(list("ABCD") * (n // 4)), "chrom": np.array([f"chr{i % 5}" for i in range(n)])},
    ), sequences


def test_from_strings_shapes_and_padding():
    data, sequences = make_binary()
    assert data.tokens.dtype == np.uint8 and data.tokens.shape == (40, max(map(len, sequences)))
    assert data.targets.shape == (40, 1) and data.targets.dtype == np.float32
    assert data.target_names == ["bound"] and data.n_targets == 1
    for row, text, n in zip(data.tokens, sequences, data.lengths):
        assert decode(row[:n]) == text and (row[n:] == N_TOKEN).all()


def test_seqdata_validates_shapes():
    with pytest.raises(MotifnetError, match="rows"):
        SeqData.from_strings(["ACGT", "ACGT"], [1, 0, 1], "binary")
    with pytest.raises(MotifnetError, match="unknown task"):
        SeqData.from_strings(["ACGT"], [1], "ranking")
    with pytest.raises(MotifnetError, match="uint8"):
        SeqData(np.zeros((2, 3), np.int64), np.zeros((2, 1), np.float32), "binary", ["b"], ["a", "b"])


def test_multiclass_targets_and_names():
    data = SeqData.from_strings(["AC", "GT", "AA"], [2, 0, 1], "multiclass")
    assert data.targets.dtype == np.int64 and data.targets.shape == (3,)
    assert data.target_names == ["0", "1", "2"]


def test_store_round_trip_is_memory_mapped(tmp_path):
    data, _ = make_binary()
    path = save(data, tmp_path / "store")
    assert is_store(path) and not is_store(tmp_path)
    back = load(path)
    assert isinstance(back.tokens, np.memmap)
    assert np.array_equal(back.tokens, data.tokens) and np.array_equal(back.targets, data.targets)
    assert np.array_equal(back.lengths, data.lengths) and list(back.ids) == list(data.ids)
    assert back.task == data.task and back.target_names == data.target_names and back.alphabet == data.alphabet
    assert np.array_equal(back.sites, data.sites) and back.motif_names == ["m0", "m1"]
    assert set(back.annotations) == {"fold", "chrom"}
    assert np.array_equal(back.annotations["fold"], data.annotations["fold"])
    assert not isinstance(load(path, mmap=False).tokens, np.memmap)
    meta = json.loads((path / "meta.json").read_text())
    assert meta["n"] == 40 and meta["format"] == "motifnet.SeqData"


def test_store_refuses_to_overwrite_and_can_overwrite(tmp_path):
    data, _ = make_binary()
    save(data, tmp_path / "s")
    with pytest.raises(MotifnetError, match="already exists"):
        save(data, tmp_path / "s")
    save(data.subset([0, 1]), tmp_path / "s", overwrite=True)
    assert len(load(tmp_path / "s")) == 2


def test_atomic_save_leaves_nothing_on_failure(tmp_path, monkeypatch):
    data, _ = make_binary()
    calls = {"n": 0}
    real_save = np.save

    def failing_save(file, array, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real_save(file, array, **kw)

    monkeypatch.setattr(np, "save", failing_save)
    with pytest.raises(MotifnetError, match="No space left"):
        save(data, tmp_path / "store")
    assert list(tmp_path.iterdir()) == []


def test_load_rejects_non_stores(tmp_path):
    with pytest.raises(MotifnetError, match="no meta.json"):
        load(tmp_path)
    (tmp_path / "meta.json").write_text('{"format": "other"}')
    with pytest.raises(MotifnetError, match="known version"):
        load(tmp_path)


def test_subset_reindexes_sites():
    data, _ = make_binary()
    part = data.subset([3, 5, 1])
    assert list(part.ids) == [data.ids[3], data.ids[5], data.ids[1]]
    assert sorted(part.sites["sequence"].tolist()) == [0, 2]  # old rows 3 and 1
    assert part.sites[part.sites["sequence"] == 2]["motif"].tolist() == [0]


def test_random_split_is_stratified_seeded_and_disjoint():
    data, _ = make_binary(n=200)
    train, valid, test = random_split(data, (0.6, 0.2, 0.2), seed=3)
    assert len(train) + len(valid) + len(test) == 200
    assert len(np.intersect1d(train, valid)) == 0 and len(np.intersect1d(train, test)) == 0
    for part, size in ((train, 120), (valid, 40), (test, 40)):
        assert len(part) == size
        assert data.targets[part, 0].mean() == pytest.approx(0.25)
    again = random_split(data, (0.6, 0.2, 0.2), seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(again, (train, valid, test)))
    other = random_split(data, (0.6, 0.2, 0.2), seed=4)
    assert not np.array_equal(other[0], train)
    with pytest.raises(MotifnetError, match="sum to 1"):
        random_split(data, (0.5, 0.2))


def test_split_by_fold_and_chromosome():
    data, _ = make_binary()
    rest, held = split_by_values(data, "fold", ["A"])
    assert set(data.annotations["fold"][held]) == {"A"} and "A" not in set(data.annotations["fold"][rest])
    assert len(rest) + len(held) == len(data)
    rest, held = split_by_values(data, "chrom", ["chr1", "chr3"])
    assert set(data.annotations["chrom"][held]) == {"chr1", "chr3"}
    with pytest.raises(MotifnetError, match="no annotation column"):
        split_by_values(data, "strand", ["+"])


def test_batch_indices_cover_rows_once():
    batches_ = list(batch_indices(10, 4, shuffle=True, seed=1))
    assert [len(b) for b in batches_] == [4, 4, 2]
    assert sorted(np.concatenate(batches_).tolist()) == list(range(10))
    assert all((np.diff(b) > 0).all() for b in batches_)
    assert [len(b) for b in batch_indices(10, 4, drop_last=True)] == [4, 4]


def test_batches_shapes_dtypes_and_content(tmp_path):
    data, _ = make_binary()
    stored = load(save(data, tmp_path / "s"))
    rows = np.arange(5, 30)
    seen = []
    for x, y in batches(stored, batch_size=8, shuffle=True, seed=0, indices=rows):
        assert x.dtype == torch.float32 and x.shape[1:] == (4, data.length) and x.shape[0] <= 8
        assert y.dtype == torch.float32 and y.shape == (x.shape[0], 1)
        seen.append(x)
    total = torch.cat(seen)
    assert total.shape[0] == len(rows)
    assert total.sum().item() == float(data.lengths[rows].sum())  # one 1 per base, padding zero


def test_batches_multiclass_targets_are_int64():
    data = SeqData.from_strings(["ACGT", "GGGG", "TTTT"], [0, 2, 1], "multiclass")
    (x, y), = list(batches(data, batch_size=3))
    assert y.dtype == torch.int64 and y.tolist() == [0, 2, 1] and x.shape == (3, 4, 4)


def test_concatenate_pads_and_checks_compatibility():
    a = SeqData.from_strings(["ACG"], [1], "binary")
    b = SeqData.from_strings(["ACGTAC"], [0], "binary")
    both = concatenate([a, b])
    assert both.tokens.shape == (2, 6) and both.lengths.tolist() == [3, 6]
    assert (both.tokens[0, 3:] == N_TOKEN).all()
    with pytest.raises(MotifnetError, match="different"):
        concatenate([a, SeqData.from_strings(["AC"], [1], "regression")])


def test_summarize_counts_gc_n_and_balance():
    data = SeqData.from_strings(["GGCCAATT", "NNAA", "GCGC"], [1, 0, 0], "binary")
    summary = summarize(data, chunk=2)
    assert summary["n"] == 3 and summary["length"] == {"padded": 8, "min": 4, "median": 4.0, "max": 8}
    assert summary["gc"] == pytest.approx(8 / 14)  # N and padding not counted
    assert summary["n_fraction"] == pytest.approx(2 / 16)
    assert summary["labels"]["bound"] == {"positive": 1, "negative": 2, "fraction": pytest.approx(1 / 3)}
    json.dumps(summary)
    unlabeled = SeqData.from_strings(["ACGT"], [np.nan], "binary")
    assert summarize(unlabeled)["labels"] == {"unlabeled": True}
    multiclass = summarize(SeqData.from_strings(["A", "C", "G"], [0, 1, 1], "multiclass"))
    assert multiclass["labels"]["1"]["count"] == 2


def test_motif_ids_round_trip_and_concatenated_sites(tmp_path):
    data, _ = make_binary()
    data.motif_ids = ["MA0001.1", "MA0002.2"]
    loaded = load(save(data, tmp_path / "store"))
    assert loaded.motif_names == ["m0", "m1"] and loaded.motif_ids == ["MA0001.1", "MA0002.2"]
    both = concatenate([data, loaded])
    assert both.motif_ids == data.motif_ids and len(both.sites) == 2 * len(data.sites)
    assert both.sites["sequence"].tolist() == [1, 3, 1 + len(data), 3 + len(data)]
    plain = SeqData.from_strings(["ACGT"] * 2, [1, 0], "binary")
    assert concatenate([data, plain]).sites is None  # a part without sites: none kept
    with pytest.raises(MotifnetError, match="motif ids"):
        SeqData.from_strings(["ACGT"], [1], "binary", motif_names=["a", "b"], motif_ids=["MA0001.1"])
