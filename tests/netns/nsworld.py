"""nsworld.py - what the traffic drivers of the netns tests share
(driver.py, snmp_driver.py): one process that enters namespace A or B
(setns, for the calling thread) before it creates a socket, so that the
socket lives there; the sockets kept open until the driver exits; the
log and the file handshake with the shell script that runs it."""
import ctypes
import os
import socket
import time

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)
AF = {4: socket.AF_INET, 6: socket.AF_INET6}
OTHER = {"A": "B", "B": "A"}


class NsWorld:
    """Namespaces ns["A"], ns["B"]; work: the handshake directory; peer:
    the script's name, for messages; addr[family][side]: the addresses."""

    def __init__(self, ns, work, peer, addr):
        self.ns = ns
        self.addr = addr  # {4: {"A": ..., "B": ...}, 6: {...}}
        self.work = work
        self.peer = peer
        self.fds = {s: os.open(f"/run/netns/{n}", os.O_RDONLY)
                    for s, n in ns.items()}
        self.keep = []
        self.scenarios = []
        self.t0 = time.time()

    def log(self, msg):
        print(f"[{time.time() - self.t0:7.2f}] {msg}", flush=True)

    def enter(self, side):
        if libc.setns(self.fds[side], CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, f"setns {self.ns[side]}: {os.strerror(e)}")

    def sock(self, side, fam, kind=socket.SOCK_STREAM):
        """A socket in namespace side, kept open until the driver exits."""
        self.enter(side)
        s = socket.socket(AF[fam], kind)
        self.keep.append(s)
        return s

    def wait_file(self, name, limit):
        """Wait for the script to create work/name."""
        path = os.path.join(self.work, name)
        end = time.time() + limit
        while not os.path.exists(path):
            if time.time() > end:
                raise TimeoutError(f"no {name} from {self.peer} after {limit} s")
            time.sleep(0.02)

    def touch(self, name):
        with open(os.path.join(self.work, name), "w"):
            pass

    def connect(self, side, fam, port, block=True):
        """A socket of side connected to the other side's port (block
        False: the connect is started, not waited for)."""
        c = self.sock(side, fam)
        dst = (self.addr[fam][OTHER[side]], port)
        if block:
            c.settimeout(5)
            c.connect(dst)
        else:
            c.setblocking(False)
            c.connect_ex(dst)
        return c

    def accept(self, lsock, timeout=5):
        """The next connection of a listener, kept open (a dropped socket
        object would close the socket)."""
        lsock.settimeout(timeout)
        s, _ = lsock.accept()
        s.settimeout(timeout)
        self.keep.append(s)
        return s
