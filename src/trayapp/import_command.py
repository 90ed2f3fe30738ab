"""`trayapp import`: map unknown columns, preview, confirm, then import.

On a terminal the command prompts for the field of each column it does not
recognise and for a confirmation after the preview. Without a terminal it
imports at once, as scripts expect, using `--map` and the remembered
choices, and fails when a column is still unknown.
"""

from __future__ import annotations

import json
import sys
import time
from typing import IO, Any

from trayapp.domain.validation import FIELD_LABELS, shown
from trayapp.importing.columns import fold_header
from trayapp.importing.mapping import (
    IGNORE,
    MAP_SYNTAX,
    Column,
    MappingStore,
    describe_columns,
    field_choices,
    field_label,
    normalize_choices,
    parse_field,
)
from trayapp.importing.readers import read_sheet
from trayapp.importing.service import CHECK, ImportCancelled, ImportProgress

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
YES_ANSWERS = ("s", "si", "sì", "y", "yes")
PROGRESS_INTERVAL_SECONDS = 0.1
LISTED_REPAIRS = 20
CANCELLED_MESSAGE = "Importazione annullata: nessun dato è stato modificato."


def parse_map_options(options: list[str]) -> dict[str, str]:
    """Return header -> field from `--map "Colonna=campo"` options; ValueError if malformed."""
    choices: dict[str, str] = {}
    for option in options:
        header, separator, field = option.rpartition("=")
        if not separator or not header.strip() or not field.strip():
            raise ValueError(
                f"--map «{shown(option)}»: usa {MAP_SYNTAX}, ad esempio "
                '--map "P.IVA cliente=partita_iva" o --map "Varie=ignora"'
            )
        try:
            choices[header.strip()] = parse_field(field)
        except ValueError as error:
            raise ValueError(f"--map «{shown(option)}»: {error}") from None
    return choices


def format_count(number: int) -> str:
    """Return a count with the Italian thousands separator: 1.200."""
    return f"{number:,}".replace(",", ".")


def counted(number: int, singular: str, plural: str) -> str:
    """Return "1 riga scartata" or "2 righe scartate": the count and its words."""
    return f"{format_count(number)} {singular if number == 1 else plural}"


DRY_RUN_TITLE = "Prova (nessun dato salvato)"
CONFIRM_TITLE = "Anteprima (nessun dato ancora salvato)"


def summary_line(
    report: Any,
    *,
    entry: tuple[str, str] = ("riga", "righe"),
    preview_title: str = DRY_RUN_TITLE,
) -> str:
    """Return the first line of an import report, or of its preview.

    `entry` is the Italian noun for one item of the file, singular and
    plural: a row of a sheet, which can also be repaired, or ("voce",
    "voci") of a KeePass database. A preview reports what would be done,
    after `preview_title`: the --dry-run's, or the one shown before the
    confirmation.
    """
    singular, plural = entry
    rows = entry == ("riga", "righe")
    rejected = len({rejection.row for rejection in report.rejected})
    if report.dry_run:
        parts = [
            f"{format_count(report.imported)} da importare",
            f"{format_count(report.updated)} da aggiornare",
            counted(report.unchanged, "invariato", "invariati"),
        ]
        if rows:
            parts.append(counted(report.repaired, "riga", "righe") + " da correggere")
        parts.append(counted(rejected, singular, plural) + " da scartare")
        return f"{preview_title}: " + ", ".join(parts)
    parts = [
        counted(report.imported, "importato", "importati"),
        counted(report.updated, "aggiornato", "aggiornati"),
        counted(report.unchanged, "invariato", "invariati"),
    ]
    if rows:
        parts.append(counted(report.repaired, "riga corretta", "righe corrette"))
    parts.append(counted(rejected, f"{singular} scartata", f"{plural} scartate"))
    return ", ".join(parts)


class ProgressLine:
    """Show "Importazione 1.200/5.000 righe" on one terminal line, rewritten in place."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._last = 0.0
        self._width = 0

    def __call__(self, progress: ImportProgress) -> None:
        now = time.monotonic()
        final = progress.done >= progress.total
        if not final and now - self._last < PROGRESS_INTERVAL_SECONDS:
            return
        self._last = now
        label = "Controllo" if progress.phase == CHECK else "Importazione"
        text = (
            f"{label} {format_count(progress.done)}/{format_count(progress.total)} "
            "righe"
        )
        self._stream.write("\r" + text.ljust(self._width))
        self._stream.flush()
        self._width = max(self._width, len(text))

    def end(self) -> None:
        if self._width:
            self._stream.write("\n")
            self._stream.flush()
            self._width = 0


def run_import(args: Any, studio: Any) -> int:
    """Carry out `trayapp import` with the parsed arguments; return the exit code."""
    interactive = sys.stdin.isatty()
    try:
        given = parse_map_options(args.map or [])
    except ValueError as error:
        _fail(str(error))
        return EXIT_USAGE
    sheet = read_sheet(args.file)
    remembered = MappingStore(studio.paths.config_dir).load(sheet.header)
    try:
        folded_given = normalize_choices(given)
    except ValueError as error:
        _fail(str(error))
        return EXIT_USAGE
    columns = describe_columns(sheet, {**remembered, **folded_given})
    open_columns = [
        column
        for column in columns
        if not column.recognised and fold_header(column.header) not in folded_given
    ]
    choices = dict(given)
    try:
        if open_columns and interactive:
            choices.update(ask_fields(open_columns, sys.stdin, sys.stderr))
        elif any(column.field is None for column in open_columns):
            unknown = [column for column in open_columns if column.field is None]
            _fail(unmapped_message(args.file.name, unknown))
            return EXIT_USAGE
        else:
            choices.update(
                {column.header: str(column.field) for column in open_columns}
            )
        return _preview_and_import(args, studio, choices, interactive)
    except (ImportCancelled, KeyboardInterrupt, EOFError):
        print("", file=sys.stderr)
        _fail(CANCELLED_MESSAGE)
        return EXIT_FAILED


def _preview_and_import(
    args: Any, studio: Any, choices: dict[str, str], interactive: bool
) -> int:
    ask = interactive and not (args.yes or args.json or args.dry_run)
    if args.dry_run or ask:
        preview = _run(studio, args.file, choices, dry_run=True)
        if args.json:
            print(json.dumps(preview.as_dict(), ensure_ascii=False))
        else:
            title = DRY_RUN_TITLE if args.dry_run else CONFIRM_TITLE
            print_report(preview, sys.stdout, preview_title=title)
        if args.dry_run:
            return EXIT_OK
        print("Importare questi dati? [s/N] ", end="", file=sys.stderr, flush=True)
        answer = sys.stdin.readline()
        if not answer:
            raise EOFError
        if answer.strip().lower() not in YES_ANSWERS:
            print(CANCELLED_MESSAGE, file=sys.stderr)
            return EXIT_FAILED
    report = _run(studio, args.file, choices, dry_run=False)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        print_report(report, sys.stdout)
    return EXIT_OK


def _run(studio: Any, path: Any, choices: dict[str, str], *, dry_run: bool) -> Any:
    line = ProgressLine(sys.stderr) if sys.stderr.isatty() else None
    try:
        return studio.import_file(
            path, dry_run=dry_run, choices=choices or None, progress=line
        )
    finally:
        if line is not None:
            line.end()


def unmapped_message(file_name: str, columns: list[Column]) -> str:
    """Return the Italian error for columns still unknown without a terminal."""
    described = []
    for column in columns:
        text = f"«{shown(column.header)}»"
        if column.samples:
            text += f" (es. {', '.join(shown(value) for value in column.samples)})"
        described.append(text)
    example = shown(columns[0].header)
    fields = ", ".join(value for value, _ in field_choices())
    return (
        f"{file_name}: colonne non riconosciute: {'; '.join(described)}. Senza un "
        f"terminale indica il campo di ognuna con {MAP_SYNTAX} (ripetibile), "
        f'oppure --map "{example}=ignora" per non importarla. Campi: {fields}'
    )


def ask_fields(
    columns: list[Column], stdin: IO[str], stderr: IO[str]
) -> dict[str, str]:
    """Ask on the terminal which field each column contains; return header -> field."""
    choices = field_choices()
    print("Campi disponibili:", file=stderr)
    for number, (_, label) in enumerate(choices, start=1):
        print(f"  {number:2}) {label}", file=stderr)
    answers: dict[str, str] = {}
    for column in columns:
        print(file=stderr)
        print(f"Colonna «{shown(column.header)}» {_state(column)}", file=stderr)
        if column.samples_hidden:
            print(
                "  esempi nascosti: i valori potrebbero essere password o PIN",
                file=stderr,
            )
        elif column.samples:
            samples = ", ".join(shown(value) for value in column.samples)
            print(f"  esempi: {samples}", file=stderr)
        while True:
            field = _ask_one(column, choices, stdin, stderr)
            earlier = next(
                (header for header, chosen in answers.items() if chosen == field),
                None,
            )
            if field == IGNORE or earlier is None:
                break
            print(
                f"  il campo «{field_label(field)}» è già scelto per la colonna "
                f"«{shown(earlier)}»: scegline un altro oppure «ignora»",
                file=stderr,
            )
        answers[column.header] = field
    return answers


def _state(column: Column) -> str:
    if column.field is None:
        return "non riconosciuta"
    return f"non riconosciuta (scelta ricordata: {field_label(column.field)})"


def _ask_one(
    column: Column, choices: list[tuple[str, str]], stdin: IO[str], stderr: IO[str]
) -> str:
    default = column.field
    hint = f"invio: {field_label(default)}" if default else "numero o nome del campo"
    while True:
        print(f"Campo per «{shown(column.header)}» [{hint}]: ", end="", file=stderr)
        stderr.flush()
        line = stdin.readline()
        if not line:
            raise EOFError
        answer = line.strip()
        if not answer and default:
            return default
        if answer.isdigit() and 1 <= int(answer) <= len(choices):
            return choices[int(answer) - 1][0]
        try:
            return parse_field(answer) if answer else _missing_answer()
        except ValueError as error:
            print(f"  {error}", file=stderr)


def _missing_answer() -> str:
    raise ValueError("scegli un campo (numero o nome) oppure «ignora»")


def print_report(
    report: Any, stream: IO[str], *, preview_title: str = DRY_RUN_TITLE
) -> None:
    """Print an import report or its preview in Italian."""
    print(summary_line(report, preview_title=preview_title), file=stream)
    print(secrets_line(report), file=stream)
    print_details(report, stream)


def secrets_line(report: Any) -> str:
    """Return the report's line on the passwords and PINs added, replaced and kept."""
    replaced = len(report.secrets_replaced)
    if report.dry_run:
        added = f"{format_count(report.secrets_added)} da aggiungere"
        changed = f"{format_count(replaced)} da sostituire"
    else:
        added = counted(report.secrets_added, "aggiunto", "aggiunti")
        changed = counted(replaced, "sostituito", "sostituiti")
    kept_stored = counted(
        len(report.warnings), "tenuto quello già salvato", "tenuti quelli già salvati"
    )
    return f"Password e PIN: {added}, {changed}, {kept_stored}"


def print_details(report: Any, stream: IO[str]) -> None:
    """Print the repairs, rejections, replaced secrets and warnings of a report."""
    if report.repairs:
        print("Correzioni:", file=stream)
        for repair in report.repairs[:LISTED_REPAIRS]:
            print(f"  riga {repair['row']}: {repair['repair']}", file=stream)
        if len(report.repairs) > LISTED_REPAIRS:
            hidden = len(report.repairs) - LISTED_REPAIRS
            others = "un'altra" if hidden == 1 else f"altre {hidden}"
            print(f"  … e {others} (tutte con --json)", file=stream)
    if report.rejected:
        print("Righe scartate:", file=stream)
    for rejection in report.rejected:
        label = FIELD_LABELS.get(rejection.field, rejection.field)
        print(f"  riga {rejection.row}, {label}: {rejection.reason}", file=stream)
    if report.secrets_replaced:
        print("Password e PIN sostituiti:", file=stream)
    for replaced in report.secrets_replaced:
        label = FIELD_LABELS.get(str(replaced["field"]), str(replaced["field"]))
        print(f"  riga {replaced['row']}, {label}: sostituito", file=stream)
    if report.warnings:
        count = counted(len(report.warnings), "valore", "valori")
        applied = "applicato" if len(report.warnings) == 1 else "applicati"
        print(f"{count} non {applied}:", file=stream)
    for warning in report.warnings:
        label = FIELD_LABELS.get(warning.field, warning.field)
        print(f"  riga {warning.row}, {label}: {warning.reason}", file=stream)


def _fail(message: str) -> None:
    print(f"trayapp: {message}", file=sys.stderr)
