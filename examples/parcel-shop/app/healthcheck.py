"""Docker HEALTHCHECK probe: exit 0 when `/actuator/health` answers 200, 1 otherwise (the body is the probe output)."""

import sys
import urllib.error
import urllib.request

url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080/actuator/health"
try:
    with urllib.request.urlopen(url, timeout=4) as response:
        print(response.read().decode()[:400])
except urllib.error.HTTPError as exc:
    print(f"HTTP {exc.code}: {exc.read().decode()[:400]}")
    sys.exit(1)
except OSError as exc:
    print(f"{url}: {getattr(exc, 'reason', exc)}")
    sys.exit(1)
