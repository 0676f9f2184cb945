"""``hotmart-emulator serve …``: run the emulator as a process (demo, tap tests, benchmarks)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from .options import add_arguments, from_namespace
from .server import EmulatorServer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hotmart-emulator", description="Local Hotmart API emulator"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve the Hotmart API on 127.0.0.1")
    add_arguments(s)
    s.add_argument("--write-config", type=Path, help="write a ready tap config (JSON) here")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        options = from_namespace(args)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    emu = EmulatorServer(options)
    emu.start()
    if args.write_config:
        args.write_config.write_text(json.dumps(emu.tap_config(), indent=2) + "\n")
    print(f"hotmart-emulator listening on {emu.url}", flush=True)

    def _stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        emu.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
