"""Outputs are published whole, with the permissions a new file or folder gets under the umask."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from motifnet.atomic import publish, temporary_beside
from motifnet.data import SeqData, save
from motifnet.errors import MotifnetError
from motifnet.io.bigwig import bigwig_writer
from motifnet.io.files import atomic_write


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_files_and_folders_get_umask_permissions(tmp_path, umask_022):
    with atomic_write(tmp_path / "a.txt") as handle:
        handle.write("x\n")
    with bigwig_writer(tmp_path / "a.bw", [("c", 10)]) as add:
        add("c", 0, 1, np.ones(3))
    save(SeqData.from_strings(["ACGT", "GGCC"], [1, 0], "binary"), tmp_path / "store")
    modes = {path.name: path.stat().st_mode & 0o777 for path in tmp_path.iterdir()}
    assert modes == {"a.txt": 0o644, "a.bw": 0o644, "store": 0o755}  # mkstemp / mkdtemp alone: 0600 / 0700


def test_temporary_names_are_hidden_beside_the_target_and_publish_replaces(tmp_path, umask_022):
    target = tmp_path / "out" / "x.tsv"
    tmp = temporary_beside(target)
    assert tmp.parent == target.parent and tmp.name.startswith(".x.tsv.") and tmp.name.endswith(".tmp")
    tmp.write_text("new\n")
    target.write_text("old\n")
    publish(tmp, target)
    assert target.read_text() == "new\n" and not tmp.exists()
    assert temporary_beside(tmp_path / "folder", folder=True).is_dir()


def test_an_unwritable_place_is_one_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(MotifnetError, match="cannot write"):
        temporary_beside(blocker / "inside.txt")  # a file where a folder should be


def test_a_folder_written_at_the_current_folder_keeps_its_siblings(tmp_path, monkeypatch):
    from motifnet.atomic import writing_folder

    (tmp_path / "store").mkdir()
    (tmp_path / "keep.txt").write_text("x")
    monkeypatch.chdir(tmp_path / "store")
    with writing_folder(Path(".")) as tmp:
        (tmp / "meta.json").write_text("{}")
    assert (tmp_path / "keep.txt").exists() and (tmp_path / "store" / "meta.json").exists()
