"""The one DEXMA-specific error, a member of the package's hierarchy."""

from __future__ import annotations

from ..errors import TelemetryHubProtocolError


class DexmaValidationError(TelemetryHubProtocolError):
    """The server rejected the values of a call (422).

    A readings range that is inverted or longer than its resolution allows,
    a page size above 500, an unknown resolution, operation or parameter
    key. Retrying the same call will not help; `call` names it.
    """
