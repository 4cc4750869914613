"""PID 1 of a lab host: reap every orphan so dead daemons never linger as zombies.

Init scripts (haproxy's `status`, Pacemaker's lsb monitor) decide "running" from a PID
file plus `ps`/`kill -0`; a zombie would pass that check, so PID 1 must reap. SIGTERM
ends the host (the kernel then kills the rest of its PID namespace).
"""
import os
import signal
import time

signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    try:
        os.wait()
    except ChildProcessError:
        time.sleep(1)
