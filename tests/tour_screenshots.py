# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Save the last screen of a tour as a README screenshot.

``make screenshots`` sets CRM_RM_SCREENSHOTS=1: the tours then save their final
screen to static/description/. In normal test runs nothing is written.
"""
import base64
import contextlib
import os
from pathlib import Path
from unittest.mock import patch

from odoo.tests.common import ChromeBrowser

DESCRIPTION = Path(__file__).resolve().parent.parent / "static" / "description"


@contextlib.contextmanager
def screenshot_at_end(name):
    """Within this block, a tour's browser saves its last screen as ``name``.png."""
    if os.environ.get("CRM_RM_SCREENSHOTS") != "1":
        yield
        return
    original_stop = ChromeBrowser.stop

    def stop(browser):
        future = browser._websocket_send("Page.captureScreenshot", with_future=True)
        data = future.result(timeout=20)["data"]
        (DESCRIPTION / f"{name}.png").write_bytes(base64.b64decode(data))
        return original_stop(browser)

    with patch.object(ChromeBrowser, "stop", stop):
        yield
