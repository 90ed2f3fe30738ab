"""Build mailto: URIs (RFC 6068) that no stored value can extend."""

from __future__ import annotations

import re
from urllib.parse import quote

# Characters of an addr-spec that RFC 6068 lets stand unencoded in the "to"
# part. "," (the address separator), "?" (start of the header fields), "&",
# "%" and "#" are deliberately absent, so they are always percent-encoded.
_ADDRESS_SAFE = "@!$'*+-=._~"
_HEADER_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


class MailtoError(ValueError):
    """The address cannot be put in a mailto: URI; the message is Italian."""


def build_mailto(address: str, subject: str = "", body: str = "") -> str:
    """Return a mailto: URI for one recipient, with optional subject and body.

    The address must be a single addr-spec: anything that would add a
    second recipient or a header raises MailtoError instead of being
    passed on. Line breaks in the subject become spaces; in the body they
    are kept as %0D%0A, as RFC 6068 requires.
    """
    address = address.strip()
    if not address or address.count("@") != 1:
        raise MailtoError(f"«{address}» non è un indirizzo email singolo")
    if _HEADER_BREAKS.search(address) or re.search(r"[\s,;<>\"()\[\]\\]", address):
        raise MailtoError(
            f"«{address!r}» contiene caratteri non ammessi in un indirizzo"
        )
    uri = "mailto:" + quote(address, safe=_ADDRESS_SAFE)
    fields = []
    if subject:
        fields.append(
            "subject=" + quote(_HEADER_BREAKS.sub(" ", subject).strip(), safe="")
        )
    if body:
        normalized = (
            body.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
        )
        fields.append("body=" + quote(normalized, safe=""))
    if fields:
        uri += "?" + "&".join(fields)
    return uri
