"""The `marja` command's options: the API's bounds, said before anything is loaded; an empty
index named with where it was looked for."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from service.cli import build_parser, main


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[name] = sub
                found.update({f"{name} {k}": v for k, v in _subparsers(sub).items()})
    return found


def test_every_option_and_argument_has_help() -> None:
    missing = [
        f"marja {name}: {'/'.join(action.option_strings) or action.dest}"
        for name, sub in _subparsers(build_parser()).items()
        for action in sub._actions
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction) and not action.help
    ]
    assert not missing, missing


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ask", "x", "--top-k", "100"], "--top-k: 100 is not between 1 and 50"),
        (["ask", "x", "--top-k", "0"], "--top-k: 0 is not between 1 and 50"),
        (["ask", "x", "--top-k", "five"], "--top-k: 'five' is not a number"),
        (["ask", "x", "--lang", "english"], "--lang: 'english' must be a language code"),
        (["ask", "x", "--year", "20190"], "--year: 20190 is not between 1000 and 2999"),
        (["ask", "q" * 6000], "the question is 6,000 characters, over the limit of 2,000"),
        (["ask", " \u200b "], "the question is empty"),
        (["ask", "x", "--doc-id", "d" * 200], "--doc-id: over the limit of 128 characters"),
    ],
)
def test_ask_refuses_what_the_api_refuses(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--data-dir", "DIR", "ask", "q"],
        ["ask", "q", "--data-dir", "DIR"],
        ["--data-dir", "DIR", "ls"],
        ["-v", "--data-dir", "DIR", "feedback", "export"],
    ],
)
def test_common_options_work_before_and_after_the_command(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert args.data_dir == Path("DIR")


@pytest.mark.model
@pytest.mark.local_files
def test_an_empty_index_is_named_with_how_to_fill_it(
    _default_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`marja ask` beside the ./data that `make run` built, reading the default data dir instead."""
    shutil.copytree(_default_index, tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    empty = tmp_path / "home" / "marja"
    monkeypatch.setenv("MARJA_DATA_DIR", str(empty))

    assert main(["ask", "Where was the 2018 workshop?"]) == 1
    captured = capsys.readouterr()
    assert "No passage answers" not in captured.out
    assert f"the index in {empty} holds no documents" in captured.err
    assert "marja ingest" in captured.err and "--data-dir data" in captured.err

    assert main(["ask", "Where was the 2018 workshop?", "--json"]) == 1
    captured = capsys.readouterr()
    assert '"reason": "the index holds no documents"' in captured.out and str(empty) in captured.err

    assert main(["ls"]) == 0
    assert f"the index in {empty} holds no documents" in capsys.readouterr().err

    # ... and with the data dir named, before or after the command, it answers.
    assert main(["--data-dir", "data", "ask", "Where was the 2018 workshop?", "--top-k", "1"]) == 0
    assert "Nairobi" in capsys.readouterr().out
    assert main(["ask", "Where was the 2018 workshop?", "--data-dir", "data", "--doc-id", "nope"]) == 0
    assert (
        capsys.readouterr().out.strip() == "No passage answers this question: no passage matches the filters."
    )


def test_an_empty_milvus_index_is_named(
    milvus_uri: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MARJA_BACKEND", "milvus")
    monkeypatch.setenv("MARJA_MILVUS_URI", milvus_uri)
    monkeypatch.setenv("MARJA_MILVUS_COLLECTION", "nothing_here")
    assert main(["ask", "Where was the 2018 workshop?"]) == 1
    err = capsys.readouterr().err
    assert f"the index 'nothing_here' in Milvus at {milvus_uri} holds no documents" in err, err
    assert "--data-dir" not in err
