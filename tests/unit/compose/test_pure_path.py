"""Without any C: a Python where neither dockhand's composer (_fastcompose) nor PyYAML's libyaml binding can be
imported — as in the extension's bundle — reads compose files exactly as the C paths do, and says which parts it
runs without (the server logs that once, at info level).

The C modules are made unimportable in a fresh interpreter (`sys.modules[name] = None` before anything imports
them), so every `try: import … except ImportError` fallback of the server runs as it would on such a machine.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from dockhand.compose.document import missing_fast_paths
from tests.unit.compose.test_fastcompose import analysis

ROOT = Path(__file__).resolve().parents[3]
WITHOUT_C = "import sys\nfor name in ('yaml._yaml', 'dockhand.compose._fastcompose'):\n    sys.modules[name] = None\n"
TEXTS = [
    (ROOT / "examples" / "parcel-shop" / "compose.yaml").read_text(),
    "services:\n  web:\n    image: nginx:${TAG}\n    depends_on: [db]\n    restart: sometimes\n    portz: [80]\n",
    "x-base: &base\n  image: busybox\nservices:\n  a:\n    <<: *base\n    command: [sh, -c, 'echo ${EMPTY:-x}']\n",
    "services:\n  a: [unclosed\n",
]


def run_without_c(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_C + code], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_c_paths_are_here_in_the_dev_venv() -> None:
    assert missing_fast_paths() == []


def test_without_c_the_server_names_what_it_runs_without() -> None:
    out = run_without_c(
        "import json, yaml\n"
        "from dockhand.compose.document import missing_fast_paths\n"
        "from dockhand.runtime import discovery\n"
        "print(json.dumps([missing_fast_paths(), hasattr(yaml, 'CSafeLoader'), discovery._SafeLoader.__name__]))"
    )
    missing, has_c_loader, discovery_loader = json.loads(out)
    assert missing == ["dockhand.compose._fastcompose", "PyYAML's libyaml loader"]
    assert not has_c_loader
    assert discovery_loader == "SafeLoader"


def same_but_syntax_wording(analysed: str) -> str:
    """libyaml and PyYAML word a syntax error differently ("did not find expected ','" vs "expected ',' … but got
    '<stream end>'"); the problem, its code and its place are the same."""
    return re.sub(r'message="YAML syntax error: [^"]*"', "message=<yaml syntax error>", analysed)


def test_without_c_every_text_is_read_as_with_it() -> None:
    code = (
        "import json\n"
        "from tests.unit.compose.test_fastcompose import analysis\n"
        f"print(json.dumps([analysis(t) for t in {TEXTS!r}]))"
    )
    pure = [same_but_syntax_wording(a) for a in json.loads(run_without_c(code))]
    assert pure == [same_but_syntax_wording(analysis(text)) for text in TEXTS]
    assert "yaml-syntax" in pure[-1]
