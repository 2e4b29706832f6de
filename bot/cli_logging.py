"""Log lines on the CLI's stderr: our own warnings, not the libraries' chatter.

The CLI promises one line per error. trafilatura logs "WARNING … discarding data: None" for
every page it finds no text in, right before our own one-line error says the same, and other
libraries do the like. Without ``--verbose`` only Briefbot's own loggers (``bot``,
``translation``, ``briefbot``) reach stderr, from WARNING up; ``--verbose`` shows everything
from INFO. ``briefbot run`` logs everything, at the ``[logging] level`` it configures.
"""

from __future__ import annotations

import logging

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FIRST_PARTY = ("bot", "translation", "briefbot")


def _first_party(record: logging.LogRecord) -> bool:
    return record.name.split(".", 1)[0] in FIRST_PARTY


def configure_cli_logging(verbose: bool) -> None:
    """One stderr handler on the root logger; library records only with ``verbose``. Like
    ``logging.basicConfig``, nothing changes when the root logger has handlers already (the
    CLI embedded in another program, or in pytest)."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    if not verbose:
        handler.addFilter(_first_party)
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
