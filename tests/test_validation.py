"""Checks and repairs of single fields, with the Italian reasons a user reads."""

from datetime import date

import pytest

from trayapp.domain.validation import (
    FieldError,
    check_user_id,
    normalize_codice_fiscale,
    normalize_email,
    normalize_partita_iva,
    normalize_pin,
    normalize_user_id,
    parse_date,
    validate_password,
)


def test_codice_fiscale_person_accepted():
    assert normalize_codice_fiscale("DNNLSS63C58G224U").value == "DNNLSS63C58G224U"


def test_codice_fiscale_spaces_and_case_repaired():
    result = normalize_codice_fiscale(" cstppl57p19l219t ")
    assert result.value == "CSTPPL57P19L219T"
    assert result.repairs == ("codice fiscale: tolti spazi o minuscole",)


def test_codice_fiscale_company_lost_zero_restored():
    result = normalize_codice_fiscale("1314440460")
    assert result.value == "01314440460"
    assert "codice fiscale: ripristinati gli zeri iniziali" in result.repairs


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "è obbligatorio"),
        ("DNNLSS63C58G224", "deve avere 16 caratteri (persona fisica) o 11 cifre"),
        ("DNNLSS63C58G224X", "il carattere di controllo non corrisponde"),
        ("1234567890123456", "contiene caratteri fuori posto"),
    ],
)
def test_codice_fiscale_rejections_name_field_and_reason(raw, reason):
    with pytest.raises(FieldError) as caught:
        normalize_codice_fiscale(raw)
    assert caught.value.field == "codice_fiscale"
    assert str(caught.value).startswith("Codice fiscale: ")
    assert reason in caught.value.reason


def test_partita_iva_it_prefix_removed():
    result = normalize_partita_iva("IT76111800629")
    assert result.value == "76111800629"
    assert result.repairs == ("partita IVA: tolto il prefisso IT",)


def test_partita_iva_zero_needs_check_digit():
    assert normalize_partita_iva("8289430533").value == "08289430533"
    with pytest.raises(FieldError) as caught:
        normalize_partita_iva("8289430534")
    assert caught.value.reason == "deve avere 11 cifre, ne ha 10"


def test_partita_iva_bad_check_digit_rejected():
    with pytest.raises(FieldError) as caught:
        normalize_partita_iva("01314440461")
    assert str(caught.value) == (
        "Partita IVA: la cifra di controllo non corrisponde: controlla di averla "
        "scritta bene"
    )


def test_partita_iva_empty_allowed():
    assert normalize_partita_iva("  ").value == ""


def test_email_upper_case_and_space_repaired():
    result = normalize_email("AMMINISTRAZIONE@TRASPORTIGENTILESP.EXAMPLE.IT ")
    assert result.value == "amministrazione@trasportigentilesp.example.it"
    assert result.repairs == ("Email: convertita in minuscolo",)


def test_email_international_address_accepted():
    assert (
        normalize_email("francesca.nicolò@example.it").value
        == "francesca.nicolò@example.it"
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("mario.rossi.example.it", "manca la @"),
        ("a@b@example.it", "più di una @"),
        ("mario rossi@example.it", "spazi o caratteri non ammessi"),
        ("mario@example", "il dominio dopo la @"),
        ("x@example.it,y@example.it", "inseriscine uno solo"),
        ("x@example.it; y@example.it", "inseriscine uno solo"),
    ],
)
def test_email_rejections(raw, reason):
    with pytest.raises(FieldError) as caught:
        normalize_email(raw, "pec")
    assert caught.value.field == "pec"
    assert str(caught.value).startswith("PEC: ")
    assert reason in caught.value.reason


def test_pin_two_halves_joined():
    result = normalize_pin("8760 407564")
    assert result.value == "8760407564"
    assert result.repairs == ("PIN: unite le due metà",)


@pytest.mark.parametrize("raw", ["1234-567890", "1234/567890"])
def test_pin_halves_with_separators_joined(raw):
    assert normalize_pin(raw).value == "1234567890"


def test_pin_entratel_eight_characters_accepted():
    assert normalize_pin("A1B2C3D4").value == "A1B2C3D4"


@pytest.mark.parametrize("raw", ["12345", "12345678901", "123 4567890", "àbcdefgh"])
def test_pin_wrong_shape_rejected(raw):
    with pytest.raises(FieldError) as caught:
        normalize_pin(raw)
    assert str(caught.value) == (
        "PIN: deve avere 10 cifre (Fisconline) o 8 lettere e cifre (Entratel)"
    )


def test_password_message_never_repeats_the_password():
    secret = "Segreto\n99"
    with pytest.raises(FieldError) as caught:
        validate_password(secret)
    assert secret not in str(caught.value)
    assert "Segreto" not in str(caught.value)
    assert caught.value.field == "password"


def test_password_with_symbols_kept_as_is():
    assert validate_password("fOiQkZZh/S!8(") == "fOiQkZZh/S!8("


def test_user_id_codice_fiscale_upper_cased():
    assert normalize_user_id("dnnlss63c58g224u") == "DNNLSS63C58G224U"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" dnnlss63c58g224u ", "DNNLSS63C58G224U"),
        ("DNNLSS63 C58G224U", "DNNLSS63C58G224U"),
        ("01314440460", "01314440460"),
        ("", ""),
    ],
)
def test_user_id_is_a_codice_fiscale_without_spaces(raw, expected):
    assert normalize_user_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (
            "mario rossi",
            "deve avere 16 caratteri (persona fisica) o 11 cifre (società o ente), "
            "ne ha 10",
        ),
        (
            "abc",
            "deve avere 16 caratteri (persona fisica) o 11 cifre (società o ente), "
            "ne ha 3",
        ),
        (
            "1314440460",
            "deve avere 16 caratteri (persona fisica) o 11 cifre (società o ente), "
            "ne ha 10",
        ),
        (
            "DNNLSS63C58G224X",
            "il carattere di controllo non corrisponde: controlla di averlo scritto bene",
        ),
        (
            "01314440461",
            "il carattere di controllo non corrisponde: controlla di averlo scritto bene",
        ),
    ],
)
def test_user_id_not_a_codice_fiscale_rejected(raw, reason):
    with pytest.raises(FieldError) as caught:
        normalize_user_id(raw)
    assert caught.value.field == "user_id"
    assert str(caught.value) == (
        f"Utente Fisconline: «{raw}» non è il codice fiscale dell'utente: {reason}"
    )


def test_user_id_alone_must_not_be_empty():
    with pytest.raises(FieldError) as caught:
        check_user_id("  ")
    assert str(caught.value) == (
        "Utente Fisconline: è vuoto: indica il codice fiscale dell'utente Fisconline"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("19/12/2025", date(2025, 12, 19)),
        ("2025-12-19", date(2025, 12, 19)),
        ("", None),
    ],
)
def test_date_formats(raw, expected):
    assert parse_date("password_changed_on", raw) == expected


def test_date_not_a_date_rejected():
    with pytest.raises(FieldError) as caught:
        parse_date("password_changed_on", "31/02/2025")
    assert str(caught.value) == (
        "Data cambio password: «31/02/2025» non è una data (scrivi gg/mm/aaaa)"
    )


def test_company_cf_bad_office_code_message():
    from trayapp.domain.validation import FieldError, normalize_codice_fiscale

    with pytest.raises(FieldError) as raised:
        normalize_codice_fiscale("12345678901")

    assert str(raised.value) == (
        "Codice fiscale: non è valido per una società o un ente: la matricola "
        "(cifre 1-7) o il codice dell'ufficio (cifre 8-10) non esiste"
    )


def test_numeric_pin_gets_leading_zero_back():
    from trayapp.domain.validation import normalize_pin

    repaired = normalize_pin(123456789)

    assert repaired.value == "0123456789"
    assert repaired.repairs == ("PIN: rimessi gli zeri iniziali",)


def test_long_value_cut_in_messages():
    from trayapp.domain.validation import shown

    assert shown("A" * 3000) == "A" * 79 + "…"
    assert shown("A" * 80) == "A" * 80
