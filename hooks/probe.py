"""Interpreter probe: run by ANY Python (3.9+) to describe itself as one JSON object on stdout.

Stdlib only, no pkm imports; removes its own folder from sys.path first so
nothing beside it can shadow a standard module. The output is versioned
("probe": 1) so the reading side can refuse what it does not understand.
"""

import os  # os and sys are loaded before any script runs: nothing can shadow them
import sys

if sys.path and os.path.abspath(sys.path[0] or os.curdir) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]

import json  # noqa: E402 - only now that our folder is off sys.path
import platform  # noqa: E402
import sysconfig  # noqa: E402


def _markers():
    """The PEP 508 marker environment, computed as the spec defines it."""
    impl = sys.implementation
    version = "{0.major}.{0.minor}.{0.micro}".format(impl.version)
    if impl.version.releaselevel != "final":
        version += impl.version.releaselevel[0] + str(impl.version.serial)
    return {
        "implementation_name": impl.name,
        "implementation_version": version,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def probe():
    paths = sysconfig.get_paths()
    return {
        "probe": 1,
        "executable": sys.executable,
        "version": list(sys.version_info[:3]),
        "implementation": sys.implementation.name,
        "cache_tag": sys.implementation.cache_tag,
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "in_venv": sys.prefix != getattr(sys, "base_prefix", sys.prefix),
        "platform": sysconfig.get_platform(),
        "soabi": sysconfig.get_config_var("SOABI"),
        "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX"),
        "pointer_bits": 64 if sys.maxsize > 2**32 else 32,
        "gil_disabled": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "paths": {key: paths.get(key) for key in ("purelib", "platlib", "scripts", "data", "include")},
        "sys_path": [p for p in sys.path if p],
        "markers": _markers(),
    }


if __name__ == "__main__":
    json.dump(probe(), sys.stdout, indent=None, sort_keys=True)
    sys.stdout.write("\n")
