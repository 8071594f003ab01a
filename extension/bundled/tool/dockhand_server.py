"""Start the Dockhand language server bundled in the extension (bundled/libs, made by scripts/build-extension).

Run as `python3 -I -S dockhand_server.py [--tcp HOST:PORT]`: -I ignores PYTHON* variables, the user's site-packages
and the current folder, -S every site-packages; the bundle is then the only place `dockhand` and its libraries come
from, so nothing the user or the workspace installed can shadow them.
"""

import os
import runpy
import sys

LIBS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "libs")

if __name__ == "__main__":
    sys.path.insert(0, LIBS)
    runpy.run_module("dockhand", run_name="__main__", alter_sys=True)
