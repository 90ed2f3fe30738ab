"""Italian texts for argparse, the library behind the `trayapp` command line.

argparse writes its own texts in English and looks each one up at call time
through the module-level names `_` (gettext) and `ngettext`. The keys below
are those English msgids, read from the argparse sources of CPython 3.11.7,
3.12.1, 3.13.0 and of its main branch after 3.14. A text that is not in the
table passes through unchanged.

ItalianArgumentParser and ItalianHelpFormatter put the help screen and the
"errore:" line in Italian on their own. The messages that argparse formats
inside its private parsing code ("scelta non valida", "argomenti obbligatori
mancanti", ...) need `italian_argparse_messages()` around the parse, which
only `trayapp.cli.main()` uses.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

# Messages that a parser built wrongly raises as exceptions, such as
# "conflicting subparser: %s" or "dest= is required for options like %r", are
# left out, because only the programmer who built the parser can see them.
ITALIAN: dict[str, str] = {
    # Help screen
    "usage: ": "uso: ",
    "positional arguments": "argomenti posizionali",
    "options": "opzioni",
    "subcommands": "sottocomandi",
    "show this help message and exit": "mostra questo aiuto ed esce",
    "show program's version number and exit": (
        "mostra la versione del programma ed esce"
    ),
    " (default: %(default)s)": " (predefinito: %(default)s)",
    # Error and warning lines
    "%(prog)s: error: %(message)s\n": "%(prog)s: errore: %(message)s\n",
    "%(prog)s: warning: %(message)s\n": "%(prog)s: avviso: %(message)s\n",
    "argument %(argument_name)s: %(message)s": (
        "argomento %(argument_name)s: %(message)s"
    ),
    # Parse errors
    "the following arguments are required: %s": "argomenti obbligatori mancanti: %s",
    "one of the arguments %s is required": "è obbligatorio uno degli argomenti %s",
    "unrecognized arguments: %s": "argomenti non riconosciuti: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "scelta non valida: %(value)r (scegli tra %(choices)s)"
    ),
    # Python 3.14 adds a suggestion when a close match exists.
    "invalid choice: %(value)r, maybe you meant %(closest)r? (choose from %(choices)s)": (
        "scelta non valida: %(value)r, forse intendevi %(closest)r? "
        "(scegli tra %(choices)s)"
    ),
    "invalid choice: %(value)r, maybe you meant %(closest)r?": (
        "scelta non valida: %(value)r, forse intendevi %(closest)r?"
    ),
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "comando sconosciuto %(parser_name)r (scegli tra %(choices)s)"
    ),
    "invalid %(type)s value: %(value)r": "valore %(type)s non valido: %(value)r",
    "expected one argument": "richiede un valore",
    "expected at most one argument": "ammette al massimo un valore",
    "expected at least one argument": "richiede almeno un valore",
    "ambiguous option: %(option)s could match %(matches)s": (
        "opzione ambigua: %(option)s potrebbe essere %(matches)s"
    ),
    "unexpected option string: %s": "opzione inattesa: %s",
    "not allowed with argument %s": "non ammesso insieme all'argomento %s",
    "ignored explicit argument %r": "valore non accettato: %r",
    "can't open '%(filename)s': %(error)s": (
        "impossibile aprire '%(filename)s': %(error)s"
    ),
    'argument "-" with mode %r': 'argomento "-" con modalità %r',
    "argument '-' with mode %r": "argomento '-' con modalità %r",
    # Python 3.13 adds deprecated commands, options and arguments.
    "command '%(parser_name)s' is deprecated": (
        "il comando '%(parser_name)s' è deprecato"
    ),
    "option '%(option)s' is deprecated": "l'opzione '%(option)s' è deprecata",
    "argument '%(argument_name)s' is deprecated": (
        "l'argomento '%(argument_name)s' è deprecato"
    ),
}

# ngettext msgids (singular, plural) and their Italian forms. Italian, like
# English, uses the singular for a count of 1 only.
ITALIAN_PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("expected %s argument", "expected %s arguments"): (
        "richiede %s valore",
        "richiede %s valori",
    ),
}


def translate(message: str) -> str:
    """Return the Italian text for an argparse msgid, or the msgid if unknown."""
    return ITALIAN.get(message, message)


def translate_plural(singular: str, plural: str, count: int) -> str:
    """Return the Italian singular or plural for an argparse ngettext call."""
    forms = ITALIAN_PLURALS.get((singular, plural), (singular, plural))
    return forms[0] if count == 1 else forms[1]


class ItalianHelpFormatter(argparse.HelpFormatter):
    """HelpFormatter that writes "uso:" and the section headings in Italian."""

    def add_usage(self, usage, actions, groups, prefix=None) -> None:
        if prefix is None:
            prefix = translate("usage: ")
        super().add_usage(usage, actions, groups, prefix)

    def start_section(self, heading: str | None) -> None:
        if heading is not None:
            heading = translate(heading)
        super().start_section(heading)


class ItalianArgumentParser(argparse.ArgumentParser):
    """ArgumentParser whose help screen and error line are in Italian.

    Subparsers made with add_subparsers() are of this class too, because
    argparse creates them with the class of the parent parser.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", ItalianHelpFormatter)
        super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        # argparse gives -h and --version English help texts of its own.
        # NOTE: an action added through an argument group keeps them.
        action = super().add_argument(*args, **kwargs)
        if isinstance(action.help, str):
            action.help = translate(action.help)
        return action

    def add_subparsers(self, **kwargs: Any) -> Any:
        # A subcommand reports its own unrecognized arguments, with its usage.
        kwargs.setdefault(
            "parser_class", functools.partial(ItalianSubcommandParser, parent=self)
        )
        return super().add_subparsers(**kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        line = translate("%(prog)s: error: %(message)s\n")
        self.exit(2, line % {"prog": self.prog, "message": message})


class ItalianSubcommandParser(ItalianArgumentParser):
    """The parser of one subcommand, such as `trayapp import`.

    argparse hands a subcommand's unrecognized arguments back to the main
    parser, which would report them under its own usage line. This parser
    reports them itself, with the subcommand's usage, and points out an
    option of the main parser written after the command.
    """

    def __init__(self, *args: Any, parent: argparse.ArgumentParser, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._parent = parent

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            message = translate("unrecognized arguments: %s") % " ".join(extras)
            hints = [self._misplaced_hint(extra) for extra in extras]
            self.error("; ".join([message, *(hint for hint in hints if hint)]))
        return namespace, extras

    def _misplaced_hint(self, argument: str) -> str:
        """Return the hint for an option of the main parser, or ""."""
        option = argument.split("=", 1)[0]
        if not option.startswith("--") or option in self._option_string_actions:
            return ""
        action = self._parent._option_string_actions.get(option)
        if action is None:
            return ""
        command = self.prog.removeprefix(self._parent.prog).strip()
        if isinstance(action, argparse._VersionAction):
            example = f"{self._parent.prog} {option}"
        else:
            value = f" {action.metavar}" if action.nargs != 0 and action.metavar else ""
            example = f"{self._parent.prog} {option}{value} {command}"
        return f"{option} va scritto prima del comando: {example}"


@contextlib.contextmanager
def italian_argparse_messages() -> Iterator[None]:
    """Make argparse write its messages in Italian inside the `with` block.

    argparse formats its parse errors in private methods, with no hook a
    subclass could override, through the module globals `_` and `ngettext`.
    This replaces both for the whole process and restores them on exit, even
    on SystemExit. Other threads that use argparse meanwhile get Italian too,
    so call it only from the entry point, before any thread starts.
    """
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._ = translate  # type: ignore[attr-defined]
    argparse.ngettext = translate_plural  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]
