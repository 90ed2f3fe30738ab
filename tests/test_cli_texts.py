"""The `trayapp` command line's help screens and usage errors, in Italian."""

from __future__ import annotations

import argparse
import ast
import gettext
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from trayapp.cli import build_parser
from trayapp.cli_texts import (
    ITALIAN,
    ITALIAN_PLURALS,
    ItalianArgumentParser,
    italian_argparse_messages,
    translate,
    translate_plural,
)

USAGE = "uso: trayapp [-h] [--version] [--debug] [--home CARTELLA] COMANDO ..."
LOGIN_USAGE = [
    "uso: trayapp login [-h] [--target {cassetto,fatture,area-riservata}]",
    "                   [--no-wait]",
    "                   CLIENTE",
]
COMMANDS = (
    "tray",
    "rubrica",
    "list",
    "import",
    "login",
    "unblock",
    "new-password",
    "restore-password",
    "audit",
    "email",
    "set-credentials",
    "backup",
    "restore",
    "export",
    "import-keepass",
    "paths",
    "autostart",
    "self-test",
)
ENGLISH_WORDS = (
    "usage",
    "options:",
    "positional arguments",
    "show this help",
    "show program's",
    "error:",
)

# argparse raises these while a parser is being built wrongly, so only the
# programmer who wrote build_parser() can see them.
DEVELOPER_MESSAGES = {
    ".__call__() not defined",
    "conflicting subparser: %s",
    "conflicting subparser alias: %s",
    "cannot merge actions - two groups are named %r",
    "'required' is an invalid argument for positionals",
    "invalid option string %(option)r: must start with a character %(prefix_chars)r",
    "dest= is required for options like %r",
    "invalid conflict_resolution value: %r",
    "conflicting option string: %s",
    "mutually exclusive arguments must be optional",
    "cannot have multiple subparser arguments",
    "%r is not callable",
}
# The section heading format of Python 3.13 and later reads the same in Italian.
LANGUAGE_NEUTRAL = {"%(heading)s:"}


def run_trayapp(*args: str) -> subprocess.CompletedProcess:
    # COLUMNS fixes where argparse wraps, and PYTHON_COLORS=0 keeps Python
    # 3.14 and later from coloring the help.
    env = dict(os.environ, COLUMNS="80", PYTHON_COLORS="0")
    return subprocess.run(
        [sys.executable, "-m", "trayapp", *args],
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_main_help_in_italian(trayapp_home):
    result = run_trayapp("--help")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == USAGE
    assert "argomenti posizionali:" in lines
    assert "opzioni:" in lines
    assert "  -h, --help        mostra questo aiuto ed esce" in lines
    assert "  --version         mostra la versione del programma ed esce" in lines
    assert "  --debug           log dettagliato di trayapp" in lines
    for word in ENGLISH_WORDS:
        assert word not in result.stdout.lower()


def test_login_help_in_italian(trayapp_home):
    result = run_trayapp("login", "--help")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        *LOGIN_USAGE,
        "",
        "Accede al portale dell'Agenzia delle Entrate con le credenziali del cliente,",
        "in un browser aperto da trayapp.",
        "",
        "argomenti posizionali:",
        "  CLIENTE               codice fiscale, partita IVA, id di «trayapp list» o",
        "                        nome",
        "",
        "opzioni:",
        "  -h, --help            mostra questo aiuto ed esce",
        "  --target {cassetto,fatture,area-riservata}",
        "                        pagina da aprire dopo l'accesso: cassetto fiscale",
        "                        (predefinito), fatture e corrispettivi o area",
        "                        riservata",
        "  --no-wait             esce subito dopo l'esito, chiudendo il browser",
    ]


def test_import_help_names_every_format(trayapp_home):
    result = run_trayapp("import", "--help")

    assert result.returncode == 0, result.stderr
    description = result.stdout.split("\n\n")[1]
    assert " ".join(description.split()) == (
        "Importa un elenco clienti da un file CSV, testo Unicode di Excel (UTF-16) "
        "o XLSX: mostra l'anteprima e chiede conferma prima di salvare."
    )
    main_help = " ".join(run_trayapp("--help").stdout.split())
    assert "import importa un elenco clienti CSV, testo Unicode di Excel o XLSX" in (
        main_help
    )


def test_self_test_help_names_every_check(trayapp_home):
    # The labels come from a real run, so a new check fails here until the
    # help names it.
    checks = run_trayapp("self-test")
    labels = []
    for line in checks.stdout.splitlines():
        _mark, check = line.split("  ", 1)
        labels.append(check.split(":", 1)[0])
    assert len(labels) == 6, checks.stdout + checks.stderr

    result = run_trayapp("self-test", "--help")

    assert result.returncode == 0, result.stderr
    description = " ".join(result.stdout.split("\n\n")[1].split())
    main_help = " ".join(run_trayapp("--help").stdout.split())
    main_line = main_help.split(" self-test ", 1)[1].split(" opzioni:", 1)[0]
    for label in labels:
        assert label.lower() in description, label
        assert label.lower() in main_line, label


def test_restore_password_help_names_every_change():
    description = _all_parsers()["restore-password"].description

    assert description == (
        "Rimette la password precedente del cliente, se sul portale vale ancora "
        "quella, qualunque modifica l'abbia sostituita: «trayapp new-password», "
        "«trayapp set-credentials» o la scheda della rubrica. La password attuale "
        "diventa la precedente, quindi ripetere il comando annulla il ripristino."
    )


def test_every_command_fully_described():
    for name, parser in _all_parsers().items():
        assert parser.description, name
        assert parser.description[0].isupper(), name
        assert parser.description.endswith("."), name
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help, (name, action.dest)


def test_every_command_help_in_italian(trayapp_home):
    for command in COMMANDS:
        result = run_trayapp(command, "--help")

        assert result.returncode == 0, (command, result.stderr)
        assert result.stdout.startswith(f"uso: trayapp {command} [-h]"), command
        assert "  -h, --help" in result.stdout, command
        assert "mostra questo aiuto ed esce" in result.stdout, command
        for word in ENGLISH_WORDS:
            assert word not in result.stdout.lower(), (command, word)


def test_unknown_command_lists_choices(trayapp_home):
    result = run_trayapp("comandoinesistente")

    assert result.returncode == 2
    assert result.stdout == ""
    usage, error = result.stderr.splitlines()
    assert usage == USAGE
    quoted = ", ".join(f"'{command}'" for command in COMMANDS)
    bare = ", ".join(COMMANDS)
    prefix = (
        "trayapp: errore: argomento COMANDO: scelta non valida: 'comandoinesistente'"
    )
    # Python 3.11 quotes each choice, and some later CPython releases list
    # them bare.
    assert error in {f"{prefix} (scegli tra {quoted})", f"{prefix} (scegli tra {bare})"}


def test_unknown_autostart_action_lists_choices(trayapp_home):
    result = run_trayapp("autostart", "forse")

    assert result.returncode == 2
    usage, error = result.stderr.splitlines()
    assert usage == "uso: trayapp autostart [-h] on|off|status"
    prefix = (
        "trayapp autostart: errore: argomento on|off|status: scelta non valida: 'forse'"
    )
    assert error in {
        f"{prefix} (scegli tra 'on', 'off', 'status')",
        f"{prefix} (scegli tra on, off, status)",
    }


def test_missing_client_names_it(trayapp_home):
    result = run_trayapp("login")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        *LOGIN_USAGE,
        "trayapp login: errore: argomenti obbligatori mancanti: CLIENTE",
    ]


@pytest.mark.parametrize(
    ("args", "usage", "error"),
    [
        (
            ["paths", "--nonesiste"],
            "uso: trayapp paths [-h] [--json]",
            "trayapp paths: errore: argomenti non riconosciuti: --nonesiste",
        ),
        (
            ["--nonesiste", "paths"],
            USAGE,
            "trayapp: errore: argomenti non riconosciuti: --nonesiste",
        ),
        (
            ["list", "--json", "extra"],
            "uso: trayapp list [-h] [--json]",
            "trayapp list: errore: argomenti non riconosciuti: extra",
        ),
        (
            ["list", "--debug"],
            "uso: trayapp list [-h] [--json]",
            "trayapp list: errore: argomenti non riconosciuti: --debug; --debug va "
            "scritto prima del comando: trayapp --debug list",
        ),
        (
            ["paths", "--home", "/tmp/altrove"],
            "uso: trayapp paths [-h] [--json]",
            "trayapp paths: errore: argomenti non riconosciuti: --home /tmp/altrove; "
            "--home va scritto prima del comando: trayapp --home CARTELLA paths",
        ),
        (
            ["paths", "--home=/tmp/altrove"],
            "uso: trayapp paths [-h] [--json]",
            "trayapp paths: errore: argomenti non riconosciuti: --home=/tmp/altrove; "
            "--home va scritto prima del comando: trayapp --home CARTELLA paths",
        ),
        (
            ["list", "--version"],
            "uso: trayapp list [-h] [--json]",
            "trayapp list: errore: argomenti non riconosciuti: --version; --version "
            "va scritto prima del comando: trayapp --version",
        ),
        (
            ["--home"],
            USAGE,
            "trayapp: errore: argomento --home: richiede un valore",
        ),
        (
            ["--h"],
            USAGE,
            "trayapp: errore: opzione ambigua: --h potrebbe essere --help, --home",
        ),
        (
            ["--debug=sì"],
            USAGE,
            "trayapp: errore: argomento --debug: valore non accettato: 'sì'",
        ),
        (
            ["new-password", "01314440460", "--length", "dodici"],
            "uso: trayapp new-password [-h] [--length N] CLIENTE",
            "trayapp new-password: errore: argomento --length: "
            "non è un numero intero: 'dodici'",
        ),
    ],
)
def test_usage_error_in_italian(trayapp_home, args, usage, error):
    result = run_trayapp(*args)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [usage, error]


def test_unknown_option_of_a_command_shows_its_usage(trayapp_home, tmp_path):
    result = run_trayapp("import", "--bogus", str(tmp_path / "clienti.csv"))

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        'uso: trayapp import [-h] [--dry-run] [--json] [--map "COLONNA=CAMPO"] [--yes]',
        "                    FILE",
        "trayapp import: errore: argomenti non riconosciuti: --bogus",
    ]


def _argparse_msgids() -> set[str]:
    """Return the constant msgids that this Python's argparse passes to _() or ngettext()."""
    source = Path(argparse.__file__).read_text(encoding="utf-8")
    msgids = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        if node.func.id not in ("_", "ngettext") or not node.args:
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            msgids.add(first.value)
    return msgids


def test_argparse_messages_all_translated():
    singulars = {singular for singular, _plural in ITALIAN_PLURALS}
    msgids = _argparse_msgids()

    assert "usage: " in msgids
    missing = msgids - set(ITALIAN) - singulars - DEVELOPER_MESSAGES - LANGUAGE_NEUTRAL
    assert missing == set()


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%(?:\(\w+\))?[rsd]", text))


def test_translations_keep_placeholders():
    for msgid, italian in ITALIAN.items():
        assert _placeholders(italian) == _placeholders(msgid), msgid
        assert italian.endswith("\n") == msgid.endswith("\n"), msgid
    for english, italian_forms in ITALIAN_PLURALS.items():
        for english_form, italian_form in zip(english, italian_forms, strict=True):
            assert _placeholders(italian_form) == _placeholders(english_form)


def test_unknown_text_passes_through():
    assert translate("a text argparse may add later") == "a text argparse may add later"
    assert translate_plural("%s new thing", "%s new things", 1) == "%s new thing"
    assert translate_plural("%s new thing", "%s new things", 3) == "%s new things"
    assert translate_plural("expected %s argument", "expected %s arguments", 1) == (
        "richiede %s valore"
    )
    assert translate_plural("expected %s argument", "expected %s arguments", 2) == (
        "richiede %s valori"
    )


def test_argparse_restored_after_block():
    with pytest.raises(SystemExit):
        with italian_argparse_messages():
            assert argparse._ is translate
            assert argparse.ngettext is translate_plural
            raise SystemExit(2)

    assert argparse._ is gettext.gettext
    assert argparse.ngettext is gettext.ngettext


def test_parser_alone_writes_italian_help(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    parser = ItalianArgumentParser(prog="prova")
    parser.add_argument("--versione", action="version", version="prova 1")
    parser.add_argument("file", metavar="FILE")

    assert parser.format_help().splitlines() == [
        "uso: prova [-h] [--versione] FILE",
        "",
        "argomenti posizionali:",
        "  FILE",
        "",
        "opzioni:",
        "  -h, --help  mostra questo aiuto ed esce",
        "  --versione  mostra la versione del programma ed esce",
    ]


def test_parser_alone_writes_italian_error_line(capsys):
    parser = ItalianArgumentParser(prog="prova")

    with pytest.raises(SystemExit) as stopped:
        parser.error("qualcosa non va")

    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        "uso: prova [-h]",
        "prova: errore: qualcosa non va",
    ]


def _parse_error(parser: argparse.ArgumentParser, args: list[str], capsys) -> str:
    """Parse args inside italian_argparse_messages() and return the error line."""
    with pytest.raises(SystemExit) as stopped, italian_argparse_messages():
        parser.parse_args(args)
    assert stopped.value.code == 2
    return capsys.readouterr().err.splitlines()[-1]


def test_mutually_exclusive_options_in_italian(capsys):
    parser = ItalianArgumentParser(prog="prova")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--csv", action="store_true")
    group.add_argument("--xlsx", action="store_true")

    error = _parse_error(parser, ["--csv", "--xlsx"], capsys)

    assert error == (
        "prova: errore: argomento --xlsx: non ammesso insieme all'argomento --csv"
    )


def test_required_group_in_italian(capsys):
    parser = ItalianArgumentParser(prog="prova")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--csv", action="store_true")
    group.add_argument("--xlsx", action="store_true")

    error = _parse_error(parser, [], capsys)

    assert error == ("prova: errore: è obbligatorio uno degli argomenti --csv --xlsx")


def test_counted_values_in_italian(capsys):
    parser = ItalianArgumentParser(prog="prova")
    parser.add_argument("--periodo", nargs=2, metavar=("DAL", "AL"))
    parser.add_argument("--mesi", nargs="+")

    two = _parse_error(parser, ["--periodo", "2024-01-01"], capsys)
    some = _parse_error(parser, ["--mesi"], capsys)

    assert two == "prova: errore: argomento --periodo: richiede 2 valori"
    assert some == "prova: errore: argomento --mesi: richiede almeno un valore"


def _all_parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    parsers = {"trayapp": parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            parsers.update(action.choices)
    return parsers


def test_subparsers_share_italian_class():
    parsers = _all_parsers()

    assert set(parsers) == {"trayapp", *COMMANDS}
    for name, parser in parsers.items():
        assert isinstance(parser, ItalianArgumentParser), name


def test_option_values_have_italian_metavar():
    # Without a metavar argparse names the value after the option in English
    # capitals, such as LENGTH for --length.
    for name, parser in _all_parsers().items():
        for action in parser._actions:
            takes_value = action.option_strings and action.nargs != 0
            if takes_value and action.choices is None:
                assert action.metavar is not None, (name, action.option_strings)
