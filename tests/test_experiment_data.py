"""The data step of an experiment (motifnet.experiments.datasets.make_data): the three forms, path
lookup, splits, limits, negatives, and one-line errors for bad sections."""

from __future__ import annotations

import json

import numpy as np
import pytest
from training_support import motif_data, write_seq

from motifnet.data import load
from motifnet.errors import MotifnetError
from motifnet.experiments.datasets import find_path, make_data


def write_table(path, n, seed, negatives=True, folds=("A",)):
    """A ``.seq`` table of ``n`` rows of :func:`motif_data` (half positives), or its positives only."""
    data = motif_data(2 * n if not negatives else n, seed=seed)
    if not negatives:
        data = data.subset(np.flatnonzero(np.asarray(data.targets)[:, 0] == 1))
    return write_seq(path, data, folds)


def test_train_and_test_files_split_valid_off_train_and_write_three_stores(tmp_path):
    write_table(tmp_path / "train.seq", 200, seed=0)
    write_table(tmp_path / "test.seq", 60, seed=1)
    out = tmp_path / "data"
    summary = make_data({"train": str(tmp_path / "train.seq"), "test": str(tmp_path / "test.seq"),
                         "split": {"valid_fraction": 0.25}}, out)
    train, valid, test = (load(out / name) for name in ("train", "valid", "test"))
    assert (len(train), len(valid), len(test)) == (150, 50, 60)
    ids = set(np.asarray(train.ids)) | set(np.asarray(valid.ids))
    assert len(ids) == 200  # train and valid partition the training file
    assert json.loads((out / "summary.json").read_text()) == json.loads(json.dumps(summary))


def test_relative_paths_are_found_beside_the_experiment_file_or_its_parent(tmp_path, monkeypatch):
    experiments = tmp_path / "project" / "experiments"
    experiments.mkdir(parents=True)
    write_table(tmp_path / "project" / "peaks.seq", 10, seed=0)
    monkeypatch.chdir(tmp_path)
    assert find_path("peaks.seq", experiments) == (tmp_path / "project" / "peaks.seq").resolve()
    with pytest.raises(MotifnetError, match="also looked in"):
        find_path("absent.seq", experiments)
    with pytest.raises(MotifnetError, match="no such data file"):
        find_path(str(tmp_path / "absent.seq"), experiments)


def test_split_by_an_annotation_column_with_its_own_values(tmp_path):
    path = write_table(tmp_path / "all.seq", 90, seed=0, folds=("A", "B", "C"))
    out = tmp_path / "data"
    make_data({"path": str(path), "read": {"annotation_columns": ["FoldID"]},
               "split": {"column": "FoldID", "train": "A", "valid": "B", "test": "C"}}, out)
    for name, fold in (("train", "A"), ("valid", "B"), ("test", "C")):
        part = load(out / name)
        assert len(part) == 30 and set(np.asarray(part.annotations["FoldID"]).astype(str)) == {fold}


def test_limit_keeps_a_stratified_seeded_subset(tmp_path):
    path = write_table(tmp_path / "all.seq", 400, seed=0)
    first, second = tmp_path / "one", tmp_path / "two"
    for out in (first, second):
        make_data({"path": str(path), "limit": {"train": 100, "test": 1000}, "seed": 3}, out)
    train = load(first / "train")
    labels = np.asarray(train.targets)[:, 0]
    assert len(train) == 100 and abs(int(labels.sum()) - 50) <= 1  # both classes kept in proportion
    assert len(load(first / "test")) == 40  # a limit above the split's size keeps it whole
    np.testing.assert_array_equal(np.asarray(train.tokens), np.asarray(load(second / "train").tokens))


def test_negatives_are_added_to_train_and_valid_but_not_test(tmp_path):
    write_table(tmp_path / "train.seq", 100, seed=0, negatives=False)
    write_table(tmp_path / "test.seq", 40, seed=1)
    out = tmp_path / "data"
    make_data({"train": str(tmp_path / "train.seq"), "test": str(tmp_path / "test.seq"),
               "negatives": "dinuc-shuffle"}, out)
    for name in ("train", "valid"):
        labels = np.asarray(load(out / name).targets)[:, 0]
        assert labels.mean() == 0.5  # each positive beside one shuffled copy
    test = np.asarray(load(out / "test").targets)[:, 0]
    assert len(test) == 40 and test.sum() == 20


@pytest.mark.parametrize("config, message", [
    ({"simulate": "classroom", "path": "x.seq"}, "exactly one of"),
    ({}, "exactly one of"),
    ({"train": "x.seq"}, "without 'test'"),
    ({"path": "ALL", "typo": 1}, r"unknown key\(s\) \['typo'\]"),
    ({"path": "ALL", "limit": {"training": 5}}, "unknown split 'training'"),
    ({"path": "ALL", "split": {"column": "chromosome"}}, "no annotation 'chromosome'"),
    ({"path": "ALL", "split": {"column": "fold"}}, r"annotation 'fold' has no rows for train: train, valid: valid, "
                                                    r"test: test; its values are \['A'\] \(map them"),
    ({"path": "ALL", "split": {"fractions": [1.0, 0.0, 0.0]}}, "empty"),
])
def test_bad_data_sections_fail_in_one_line(tmp_path, config, message):
    path = write_table(tmp_path / "all.seq", 20, seed=0)
    config = {key: (str(path) if value == "ALL" else value) for key, value in config.items()}
    with pytest.raises(MotifnetError, match=message) as error:
        make_data(config, tmp_path / "data")
    assert "\n" not in str(error.value)
    assert not (tmp_path / "data" / "summary.json").exists()
