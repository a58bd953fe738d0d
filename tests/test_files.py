"""Output files: atomic, never over an existing file by accident, normal permissions."""

import os

import pytest

from loyalty_xl import LoyaltyXLError
from loyalty_xl.files import atomic_path, write_text


def test_new_files_get_the_umask_permissions_not_private_ones(tmp_path):
    umask = os.umask(0o022)
    try:
        path = write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_failed_write_leaves_nothing_behind_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "report.xlsx"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target, force=True) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]


def test_refuses_existing_files_and_folders(tmp_path):
    (tmp_path / "x.csv").write_text("mine")
    with pytest.raises(LoyaltyXLError, match="already exists; use --force"):
        write_text(tmp_path / "x.csv", "new")
    with pytest.raises(LoyaltyXLError, match="is a folder"):
        write_text(tmp_path, "new", force=True)
