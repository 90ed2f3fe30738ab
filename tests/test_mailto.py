"""mailto: URIs that no stored name or address can extend."""

from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from trayapp.desktop.mailto import MailtoError, build_mailto


def recipients_and_headers(uri: str) -> tuple[list[str], dict[str, list[str]]]:
    """Split a mailto URI the way a mail program does: recipients, then headers."""
    parts = urlsplit(uri)
    assert parts.scheme == "mailto"
    to = [unquote(address) for address in parts.path.split(",")]
    return to, parse_qs(parts.query)


def test_plain_address():
    assert build_mailto("mario.rossi@example.it") == "mailto:mario.rossi@example.it"


def test_international_address_percent_encoded_as_utf8():
    uri = build_mailto("francesca.nicolò@example.it")
    assert uri == "mailto:francesca.nicol%C3%B2@example.it"


def test_subject_with_header_injection_stays_one_subject():
    uri = build_mailto(
        "a@example.it",
        subject="ROSSI & FIGLI\r\nBcc: spia@example.com?cc=x@example.com",
    )
    to, headers = recipients_and_headers(uri)
    assert to == ["a@example.it"]
    assert set(headers) == {"subject"}
    assert headers["subject"] == [
        "ROSSI & FIGLI Bcc: spia@example.com?cc=x@example.com"
    ]


@pytest.mark.parametrize(
    "hostile",
    [
        "a@example.it?bcc=spia@example.com",
        "a@example.it,spia@example.com",
        "a@example.it\r\nBcc: spia@example.com",
        "a@example.it&cc=spia@example.com",
        "spia@example.com;a@example.it",
        "<a@example.it>",
        "",
        "noat.example.it",
    ],
)
def test_hostile_address_rejected_or_single(hostile):
    try:
        uri = build_mailto(hostile)
    except MailtoError as error:
        assert "indirizzo" in str(error)
        return
    to, headers = recipients_and_headers(uri)
    assert len(to) == 1
    assert headers == {}


def test_question_mark_and_percent_in_local_part_encoded():
    uri = build_mailto("a%b?c#d&e@example.it")
    to, headers = recipients_and_headers(uri)
    assert to == ["a%b?c#d&e@example.it"]
    assert headers == {}
    assert uri == "mailto:a%25b%3Fc%23d%26e@example.it"


def test_body_line_breaks_are_crlf():
    uri = build_mailto("a@example.it", body="riga uno\nriga due")
    assert uri.endswith("?body=riga%20uno%0D%0Ariga%20due")
