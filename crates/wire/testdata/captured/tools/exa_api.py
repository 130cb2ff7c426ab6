#!/usr/bin/python3
"""ExaBGP API process used by capture.sh.

ExaBGP starts this program and talks to it over its stdin/stdout:
  * every line written into FIFO (argv[1]) is forwarded to ExaBGP as an API
    command (e.g. "neighbor 127.0.91.1 announce route ...");
  * every line ExaBGP writes to us (JSON messages it sent/received, and the
    "done"/"error" acknowledgements of our commands) is appended, time-stamped,
    to LOG (argv[2]) as one JSON object per line.
"""
import json
import sys
import threading
import time

fifo, log = sys.argv[1], sys.argv[2]


def from_exabgp():
    with open(log, "a", buffering=1) as out:
        for line in sys.stdin:
            out.write(json.dumps({"t": time.time(), "dir": "from-exabgp", "line": line.rstrip("\n")}) + "\n")


threading.Thread(target=from_exabgp, daemon=True).start()

with open(log, "a", buffering=1) as out:
    while True:
        with open(fifo) as commands:  # blocks until capture.sh writes a command
            for command in commands:
                command = command.strip()
                if not command:
                    continue
                out.write(json.dumps({"t": time.time(), "dir": "to-exabgp", "line": command}) + "\n")
                sys.stdout.write(command + "\n")
                sys.stdout.flush()
