"""Experiment files: what config loading refuses."""

from __future__ import annotations

import pytest

from motifnet.errors import MotifnetError
from motifnet.experiments import experiment_from_dict


def test_two_labels_with_the_same_folder_name_are_refused_in_one_line():
    raw = {"data": {"simulate": "binary"},
           "models": [{"label": "CNN small", "name": "cnn"}, {"label": "CNN_small", "name": "cnn"}]}
    with pytest.raises(MotifnetError) as error:
        experiment_from_dict(raw)
    message = str(error.value)
    assert "'CNN small'" in message and "'CNN_small'" in message and "\n" not in message
    raw["models"][1]["label"] = "CNN-small"
    assert [arm.label for arm in experiment_from_dict(raw).arms()] == ["CNN small", "CNN-small"]
