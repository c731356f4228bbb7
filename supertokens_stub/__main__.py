"""``supertokens-stub``: serve the SuperTokens core stand-in until Ctrl-C.

    supertokens-stub --host 127.0.0.1 --port 3567 --key-file var/supertokens-stub-key.pem

Point the service at it with ``SUPERTOKENS_CONNECTION_URI=http://127.0.0.1:3567``
and get a token with
``curl -s -XPOST localhost:3567/_stub/token -d '{"sub": "alice"}'``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from .keys import load_or_create_key
from .server import StubCore


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="supertokens-stub", description="SuperTokens core stand-in for development and tests"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3567)
    parser.add_argument("--key-file", type=Path, default=Path("var/supertokens-stub-key.pem"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    key = load_or_create_key(args.key_file)
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    with StubCore(key, host=args.host, port=args.port) as core:
        print(f"SuperTokens stub core on {core.url} (kid {key.kid}); Ctrl-C stops it", flush=True)
        try:
            while not stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
