"""Italian wording for the operating system's file errors."""

from __future__ import annotations

import errno

# The errors a user meets when reading or writing a chosen file, by errno.
REASONS = {
    errno.EACCES: "permesso negato",
    errno.EPERM: "operazione non permessa",
    errno.EROFS: "il disco è di sola lettura",
    errno.ENOSPC: "il disco è pieno",
    errno.ENOTDIR: "una parte del percorso è un file, non una cartella",
    errno.ENOENT: "il file o la cartella non esiste",
    errno.EISDIR: "è una cartella, non un file",
    errno.EEXIST: "esiste già",
    errno.ENAMETOOLONG: "il percorso è troppo lungo",
    errno.EBUSY: "è in uso da un altro programma",
    errno.EIO: "errore di lettura o scrittura del disco",
}


def italian_reason(error: OSError) -> str:
    """Return the Italian reason for `error`, or the system's text when unknown."""
    if error.errno in REASONS:
        return REASONS[error.errno]
    return error.strerror or str(error)
