"""netvigil: an open observatory for internet shutdowns, censorship and platform disruption.

measure -> detect -> document -> quantify -> notify/publish. See docs/architecture.md.
"""

from netvigil._errors import NetvigilError
from netvigil._settings import Settings, load_settings

__version__ = "0.1.0"

__all__ = ["NetvigilError", "Settings", "__version__", "load_settings"]
