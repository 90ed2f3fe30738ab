"""The rubrica's client list sent to the page over Qt's web channel.

pywebview returns a js_api result by running a script that contains it.
At 10,000 clients the list is a 2.5 MB text, and parsing that script costs
the page about 300 ms. A signal of a channel object carries the same text
as a plain message instead. Only the Qt web view has this channel, so the
page falls back to the js_api call where the object is missing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

CHANNEL_OBJECT_NAME = "trayappList"


def make_list_channel(fetch: Callable[[], dict[str, Any]], gui: Any) -> Any:
    """Return a QObject whose `request(id)` slot fetches the client list for the page.

    `fetch` returns what the js_api method `client_list_json` returns:
    {"result": text} or {"error": message, ...}. It runs on a worker thread,
    so the window stays responsive while the resident process replies. The
    object's `listReady` signal then sends (id, text, error) to the page on
    Qt's main thread, through `gui` (see `make_gui_bridge`). Call this on the
    main thread.
    """
    from qtpy import QtCore

    class ListChannel(QtCore.QObject):
        listReady = QtCore.Signal(str, str, str)

        @QtCore.Slot(str)
        def request(self, request_id: str) -> None:
            worker = threading.Thread(
                target=self._fetch,
                args=(request_id,),
                name="client-list",
                daemon=True,
            )
            worker.start()

        def _fetch(self, request_id: str) -> None:
            try:
                answer = fetch()
            except Exception:
                log.exception("reading the client list for the page failed")
                answer = {"error": "Lettura dell'elenco clienti non riuscita."}
            text = answer.get("result")
            if not isinstance(text, str):
                text = ""
            error = str(answer.get("error") or "")
            gui.run.emit(lambda: self.listReady.emit(request_id, text, error))

    return ListChannel()


def register_list_channel(window: Any, channel_object: Any) -> None:
    """Add `channel_object` to the web channel of `window`'s Qt web view.

    Call it from the window's before_show event: QWebChannel shows the page
    only the objects registered before the page's script connects, and
    pywebview connects it once the page has loaded.
    NOTE: this reaches into pywebview 6.2.1's Qt BrowserView (`instances`,
    `channel`); another pywebview version may name them differently, and
    then the page keeps the js_api call.
    """
    from webview.platforms.qt import BrowserView

    view = BrowserView.instances.get(window.uid)
    channel = getattr(view, "channel", None)
    if channel is None:
        log.warning(
            "Qt web channel not found on the rubrica window; the list goes by js_api"
        )
        return
    channel.registerObject(CHANNEL_OBJECT_NAME, channel_object)
