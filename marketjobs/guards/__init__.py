"""Guards on what jobs touch: outbound HTTP (redirects, hosts, answer sizes), paths under roots, read caps.

Each guard is a small pure policy plus the hook that applies it where the I/O happens, so the http bar
source, webhooks, the importer and the drop folder share one implementation. Values come from the settings;
the guards themselves do not read them.
"""

from __future__ import annotations
