"""meltano.yml, the Hub definition and the README say what `tap-hotmart --about` says.

Why: a setting is declared once, in tap_hotmart/settings.py; `make settings`
(hotmart_pipeline/plugin_settings.py) writes it into those three files. A setting changed
in the tap and not regenerated would give Meltano users another default, an unmasked
secret or a missing setting; these tests fail then, and name the file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hotmart_pipeline import plugin_settings
from hotmart_pipeline.plugin_settings import HUB_FILE, MELTANO_FILE, README_FILE, ROOT


def test_the_generated_files_are_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    status = plugin_settings.main(["--check"])
    assert status == 0, capsys.readouterr().out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the three generated files."""
    for path in (MELTANO_FILE, HUB_FILE, README_FILE):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, tmp_path / path)
    return tmp_path


def test_check_names_the_stale_file_and_a_run_rewrites_only_its_settings(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = project / HUB_FILE
    fresh = hub.read_text()
    hub.write_text(fresh.replace("  value: 60\n", "  value: 61\n"))
    assert plugin_settings.main(["--check", "--root", str(project)]) == 1
    out = capsys.readouterr().out
    assert f"{HUB_FILE} is stale" in out and "make settings" in out
    assert str(MELTANO_FILE) not in out and str(README_FILE) not in out
    assert plugin_settings.main(["--root", str(project)]) == 0
    assert hub.read_text() == fresh
    for path in (MELTANO_FILE, README_FILE):
        assert (project / path).read_bytes() == (ROOT / path).read_bytes()


def test_only_the_settings_are_generated(project: Path) -> None:
    """The rest of each file (comments, the other plugins, the README's prose) is kept."""
    meltano = project / MELTANO_FILE
    meltano.write_text(meltano.read_text().replace("label: Hotmart\n", "label: Hotmart!\n", 1))
    readme = project / README_FILE
    readme.write_text(readme.read_text() + "A line after everything.\n")
    generated = plugin_settings.generated(project)
    assert "label: Hotmart!\n" in generated[MELTANO_FILE]
    assert generated[README_FILE].endswith("A line after everything.\n")
