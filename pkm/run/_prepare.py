"""The child process of `python -m pkm.run` for cold and on-demand work: a JSON request in, a JSON answer out.

Request (stdin): {"action": "prepare" | "add", "context": {"kind", "path", "key"}, "manifest": PATH,
"persist": bool, "with": [REQ...], "offline": bool, and for "add": "name", "policy", "current"}.
Answer (stdout): {"manifest": {...}} (plus "added" and "message" for "add"), or
{"error": TEXT, "code": 1|2} with the error rendered as pkm renders every error.
Progress bars go to stderr (on a TTY). PKM_DEBUG=1 lets a bug's traceback through.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    from pkm.errors import PkmError
    from pkm.ui import render_error

    request = json.loads(sys.stdin.read())
    debug = os.environ.get("PKM_DEBUG", "") not in ("", "0")
    try:
        from pkm.run import _cold

        if request["action"] == "add":
            data, added, message = _cold.add(request)
            answer = {"manifest": data, "added": added, "message": message}
        else:
            answer = {"manifest": _cold.prepare(request)}
    except PkmError as error:
        if debug:
            raise
        answer = {"error": render_error(error), "code": error.exit_code}
    except KeyboardInterrupt:
        answer = {"error": "error: interrupted\n", "code": 130}
    except Exception as exc:  # noqa: BLE001 - a bug: say so plainly, as the CLI does
        if debug:
            raise
        answer = {"error": f"error: internal error in pkm's cold path: {type(exc).__name__}: {exc}\n"
                           "hint: run again with PKM_DEBUG=1 and report the traceback\n", "code": 1}
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()
    if "manifest" in answer:
        # Hand the answer over (the parent reads to end-of-file, then runs the script), then
        # compile the new trees' bytecode while the script runs. Neither stream stays open: a
        # caller capturing the script's output gets end-of-file when the script ends.
        sys.stderr.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.dup2(devnull, sys.stderr.fileno())
        os.close(devnull)
        from pkm.run._cold import compile_later

        compile_later(answer["manifest"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
