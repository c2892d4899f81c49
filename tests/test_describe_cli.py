"""`motifnet describe`: --list, a missing model name, --rc, --json and bad --set values."""

from __future__ import annotations

import json

import pytest

from motifnet.cli import main
from motifnet.commands._settings import parse_assignments
from motifnet.errors import MotifnetError
from motifnet.models import available

SMALL = ["deepbind", "--set", "hidden=0", "--length", "50"]
"""DeepBind with 16 filters of 24 and no hidden layer: 1,552 + 17 = 1,569 parameters."""


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_names_every_model_and_its_presets(capsys):
    code, out, err = run_cli(capsys, "describe", "--list")
    assert code == 0 and err == ""
    lines = out.splitlines()
    models = [line.split()[0] for line in lines if not line.startswith(" ")]
    assert models == list(available())
    assert any(line.startswith("deepbind") and "default preset: paper" in line for line in lines)
    presets = [line.split()[0] for line in lines if line.startswith("  ")]
    assert {"paper", "encode", "cnn-4", "small"} <= set(presets)


def test_no_model_name_is_a_one_line_error_listing_the_models(capsys):
    code, out, err = run_cli(capsys, "describe")
    assert code == 2 and out == ""
    assert err.startswith("motifnet describe: error: name a model") and err.count("\n") == 1
    assert all(name in err for name in available())


def test_json_gives_the_config_rows_and_total(capsys):
    code, out, _ = run_cli(capsys, "describe", *SMALL, "--json")
    assert code == 0
    described = json.loads(out)
    assert described["total_params"] == 1569 == sum(row["params"] for row in described["rows"])
    assert described["config"]["input_length"] == 50 and described["config"]["params"]["hidden"] == 0
    assert [row["layer"] for row in described["rows"]][:2] == ["pad", "conv"]


def test_rc_wraps_the_model_without_adding_parameters(capsys):
    code, out, _ = run_cli(capsys, "describe", *SMALL, "--rc", "max", "--json")
    assert code == 0
    described = json.loads(out)
    assert described["config"]["reverse_complement"] == "max"
    assert described["total_params"] == 1569  # both strands share the weights
    assert all(row["layer"].startswith("model.") for row in described["rows"])
    code, out, _ = run_cli(capsys, "describe", *SMALL, "--rc", "mean")
    assert code == 0 and "model.conv" in out and "1,569" in out.splitlines()[-1]


def test_targets_and_length_override_the_design_values(capsys):
    code, out, _ = run_cli(capsys, "describe", *SMALL, "--targets", "3", "--json")
    described = json.loads(out)
    assert code == 0 and described["config"]["n_targets"] == 3
    assert described["rows"][-1]["output_shape"] == [3] and described["total_params"] == 1552 + 3 * 17


def test_unknown_model_and_preset_are_one_line_errors(capsys):
    code, _, err = run_cli(capsys, "describe", "nosuch")
    assert code == 2 and "unknown model 'nosuch'" in err and err.count("\n") == 1
    code, _, err = run_cli(capsys, "describe", "deepbind", "--preset", "nosuch")
    assert code == 2 and "unknown preset 'nosuch'" in err and "paper" in err and err.count("\n") == 1


def test_set_values_are_read_as_yaml():
    assert parse_assignments(["hidden=0", " pool = maxavg", "dilation=[1, 2, 4]", "pad_input=false"]) == {
        "hidden": 0, "pool": "maxavg", "dilation": [1, 2, 4], "pad_input": False}


@pytest.mark.parametrize("item, message", [("=3", "--set expects KEY=VALUE, got '=3'"),
                                           ("hidden", "--set expects KEY=VALUE"),
                                           ("hidden=[1,", "--set hidden: cannot read '[1,' as YAML")])
def test_bad_set_items_are_refused_naming_the_item(item, message):
    with pytest.raises(MotifnetError) as error:
        parse_assignments([item])
    assert str(error.value).startswith(message)


def test_bad_yaml_in_set_exits_2(capsys):
    code, out, err = run_cli(capsys, "describe", "deepbind", "--set", "hidden=[1,")
    assert code == 2 and out == ""
    assert err.startswith("motifnet describe: error: --set hidden: cannot read '[1,' as YAML")
