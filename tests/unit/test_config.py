"""Settings: the default data folder does not depend on the working directory, and
invalid values are refused with the setting's name."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from tickets.config import Settings, default_data_dir


def test_the_default_data_dir_is_the_same_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TICKETS_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    here = Settings(_env_file=None).data_dir
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    there = Settings(_env_file=None).data_dir
    assert here == there == default_data_dir()
    assert here.is_absolute()
    assert tmp_path not in here.parents


def test_an_explicit_data_dir_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETS_DATA_DIR", str(tmp_path))
    settings = Settings(_env_file=None)
    assert settings.data_dir == tmp_path
    assert settings.data_dir_is_explicit


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("database_url", "garbage"),
        ("database_url", "mysql://user@host/db"),
        ("database_url", "postgresql://host:port/db"),
        ("read_database_url", "sqlite:///x.db"),
        ("log_level", "verbose"),
        ("jwt_secret", "short"),
    ],
)
def test_invalid_values_are_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None, **{field: value})  # type: ignore[arg-type]
    assert raised.value.errors()[0]["loc"] == (field,)


def test_the_log_level_is_case_insensitive() -> None:
    assert Settings(_env_file=None, log_level="debug").log_level == "DEBUG"
