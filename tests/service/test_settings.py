"""Settings: a bad value stops marja with a message naming the variable, never a traceback; the
README documents every one of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.cli import main
from service.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("MARJA_LOG_LEVEL", "foo", "'CRITICAL', 'ERROR', 'WARNING', 'INFO' or 'DEBUG'"),
        ("MARJA_CORS_ORIGINS", "*", "not an origin"),
        ("MARJA_CORS_ORIGINS", "https://intranet.example.org/path", "not an origin"),
        ("MARJA_FORWARDED_ALLOW_IPS", "10.0.0.300", "not an address or network"),
        ("MARJA_FORWARDED_ALLOW_IPS", "proxy.example.org", "not an address or network"),
    ],
)
@pytest.mark.parametrize("command", [["serve", "--no-ingest"], ["ls"]])
def test_a_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    fragment: str,
    command: list[str],
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert f"marja: invalid setting {variable}: " in err and fragment in err
    assert "Traceback" not in err


def test_good_values_are_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARJA_LOG_LEVEL", "debug")
    monkeypatch.setenv("MARJA_CORS_ORIGINS", "https://Intranet.example.org/, http://[::1]:8080")
    monkeypatch.setenv("MARJA_FORWARDED_ALLOW_IPS", "127.0.0.1, 10.0.0.0/8, ::1")
    settings = Settings()
    assert settings.log_level == "DEBUG"
    assert settings.cors_origins == ["https://intranet.example.org", "http://[::1]:8080"]
    assert settings.forwarded_allow_ips == ["127.0.0.1", "10.0.0.0/8", "::1"]


@pytest.mark.parametrize("command", [["ask", "hi"], ["serve", "--no-ingest"], ["ingest", "corpus"]])
def test_an_unknown_model_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MARJA_MODEL", "nonexistent-model")
    assert main(command) == 1
    err = capsys.readouterr().err
    assert err.startswith("marja: no embedding model 'nonexistent-model' (MARJA_MODEL / --model)")
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_a_model_directory_that_cannot_load_is_a_domain_error(tmp_path: Path) -> None:
    from core.errors import ModelUnavailable
    from index.embedders.factory import create_embedder

    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    embedder = create_embedder(str(tmp_path), models_dir=tmp_path / "models")
    with pytest.raises(ModelUnavailable, match="cannot load the sentence-transformers model"):
        embedder.warm_up()


def _readme_variables() -> set[str]:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("## Configuration") : text.index("## Operating marja")]
    return set(re.findall(r"^\| `(MARJA_[A-Z_]+)` \|", table, flags=re.MULTILINE))


def test_the_readme_documents_every_setting_and_no_other() -> None:
    variables = {f"MARJA_{name.upper()}" for name in Settings.model_fields}
    assert _readme_variables() == variables


def test_every_setting_says_what_it_does() -> None:
    assert not [name for name, field in Settings.model_fields.items() if not field.description]
