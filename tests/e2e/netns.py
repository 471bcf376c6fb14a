"""Other computers on this one: Linux network namespaces joined by veth pairs, an "internet"
bridge, NAT routers (iptables MASQUERADE), and a way to drive a browser that runs inside a
namespace from the test (chromedriver or geckodriver there, reached through a Unix socket that socat carries
across, since Unix sockets ignore network namespaces). Every namespace, link and process a
`Network` made is removed when it closes, also after a failed test. Traffic only ever goes
to addresses of these namespaces."""

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from rig import BROWSER_ENV, GECKODRIVER

_serial = itertools.count(1)


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()}")
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Network:
    """Namespaces made for one test; `close()` removes them all."""

    def __init__(self):
        # Short, unique names: interface names have at most 15 characters.
        self.tag = f"b{os.getpid() % 10000}{next(_serial)}"
        self.namespaces: list[str] = []
        self.processes: list[subprocess.Popen] = []
        self.etc_dirs: list[Path] = []
        self.scratch = Path(tempfile.mkdtemp(prefix="boardroom-netns-"))
        self._links = itertools.count(1)

    # --- building -------------------------------------------------------------------------

    def host(self, name: str) -> str:
        """A new namespace (a computer) with its loopback up; returns its full name."""
        full = f"{self.tag}-{name}"
        run("ip", "netns", "add", full)
        self.namespaces.append(full)
        self.sh(full, "ip link set lo up")
        return full

    def link(self, a: str, a_address: str, b: str, b_address: str | None = None) -> tuple[str, str]:
        """A veth cable from namespace `a` to `b`, with addresses like "10.0.0.1/24" (none on
        `b` when it is a bridge port). Returns the interface names at both ends."""
        n = next(self._links)
        end_a, end_b = f"{self.tag}a{n}", f"{self.tag}b{n}"
        run("ip", "link", "add", end_a, "netns", a, "type", "veth", "peer", "name", end_b, "netns", b)
        self.sh(a, f"ip addr add {a_address} dev {end_a} && ip link set {end_a} up")
        if b_address:
            self.sh(b, f"ip addr add {b_address} dev {end_b}")
        self.sh(b, f"ip link set {end_b} up")
        return end_a, end_b

    def link_here(self, namespace: str, address_there: str, address_here: str) -> str:
        """A veth cable from this computer (the root namespace, where the window runs) to
        `namespace`. Returns the interface name in `namespace`; both ends go with it."""
        n = next(self._links)
        here, there = f"{self.tag}h{n}", f"{self.tag}t{n}"
        run("ip", "link", "add", here, "type", "veth", "peer", "name", there, "netns", namespace)
        run("ip", "addr", "add", address_here, "dev", here)
        run("ip", "link", "set", here, "up")
        self.sh(namespace, f"ip addr add {address_there} dev {there} && ip link set {there} up")
        return there

    def bridge(self, namespace: str) -> str:
        """A switch inside `namespace`; plug cables into it with `plug`."""
        name = f"{self.tag}br"
        self.sh(namespace, f"ip link add {name} type bridge && ip link set {name} up")
        return name

    def plug(self, bridge_namespace: str, bridge: str, port: str):
        self.sh(bridge_namespace, f"ip link set {port} master {bridge}")

    def default_route(self, namespace: str, via: str | None = None, device: str | None = None):
        self.sh(namespace, f"ip route add default via {via}" if via else f"ip route add default dev {device}")

    def router(self, namespace: str, wan: str, drop_udp: bool = False):
        """Forward and masquerade out of `wan`, as a home router does; `drop_udp` blocks all
        forwarded UDP, as a strict corporate firewall does (only TCP gets out)."""
        self.sh(namespace, "sysctl -qw net.ipv4.ip_forward=1")
        self.sh(namespace, f"iptables -t nat -A POSTROUTING -o {wan} -j MASQUERADE")
        if drop_udp:
            self.sh(namespace, "iptables -A FORWARD -p udp -j DROP")

    def one_to_one_nat(self, namespace: str, wan: str, public: str, private: str):
        """A cloud provider's 1:1 NAT: everything for `public` goes to `private` behind this
        router, and `private` goes out as `public` (the machine itself never sees `public`)."""
        self.sh(namespace, "sysctl -qw net.ipv4.ip_forward=1")
        self.sh(namespace, f"ip addr add {public}/32 dev {wan}")
        self.sh(namespace, f"iptables -t nat -A PREROUTING -d {public} -j DNAT --to-destination {private}")
        self.sh(namespace, f"iptables -t nat -A POSTROUTING -s {private} -o {wan} -j SNAT --to-source {public}")

    def hosts_file(self, namespace: str, entries: dict[str, str]):
        """Names this namespace resolves (`ip netns exec` mounts /etc/netns/NS/hosts over /etc/hosts)."""
        directory = Path("/etc/netns") / namespace
        directory.mkdir(parents=True, exist_ok=True)
        self.etc_dirs.append(directory)
        lines = ["127.0.0.1 localhost"] + [f"{address} {name}" for name, address in entries.items()]
        (directory / "hosts").write_text("\n".join(lines) + "\n")

    # --- running --------------------------------------------------------------------------

    def sh(self, namespace: str, command: str) -> str:
        return run("ip", "netns", "exec", namespace, "sh", "-c", command).stdout

    def spawn(self, namespace: str, *command: str, env: dict | None = None, **popen) -> subprocess.Popen:
        """Starts `command` inside `namespace`; it is stopped when the network closes."""
        environment = dict(os.environ)
        environment.update(env or {})
        process = subprocess.Popen(["ip", "netns", "exec", namespace, *command], env=environment, **popen)
        self.processes.append(process)
        return process

    def webdriver_url(self, namespace: str, home: Path, firefox: bool = False, env: dict | None = None) -> str:
        """Starts chromedriver (or geckodriver, for Firefox) inside `namespace` (with `home` as
        HOME, where Chromium finds its NSS certificate database) and returns an address the
        test can reach it at, with more of the browser's environment in `env`."""
        port = free_port()
        driver = [GECKODRIVER, "--host", "127.0.0.1", "--port", str(port)] if firefox else ["chromedriver", f"--port={port}"]
        self.spawn(namespace, *driver, env={"HOME": str(home), **BROWSER_ENV, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sock = self.scratch / f"{namespace}-{port}.sock"
        self.spawn(namespace, "socat", f"UNIX-LISTEN:{sock},fork", f"TCP:127.0.0.1:{port}", stderr=subprocess.DEVNULL)
        # The same port outside: geckodriver refuses requests whose Host header names another.
        outside = port if firefox else free_port()
        process = subprocess.Popen(
            ["socat", f"TCP-LISTEN:{outside},bind=127.0.0.1,fork,reuseaddr", f"UNIX-CONNECT:{sock}"], stderr=subprocess.DEVNULL
        )
        self.processes.append(process)
        url = f"http://127.0.0.1:{outside}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                import urllib.request

                with urllib.request.urlopen(f"{url}/status", timeout=2) as response:
                    if response.status == 200:
                        return url
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{driver[0]} in {namespace} did not start")

    # --- tearing down ---------------------------------------------------------------------

    def close(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        for namespace in self.namespaces:
            # Anything still running inside (Chromium's helpers, coturn's children) goes too.
            pids = run("ip", "netns", "pids", namespace, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
            run("ip", "netns", "del", namespace, check=False)
        for directory in self.etc_dirs:
            shutil.rmtree(directory, ignore_errors=True)
        shutil.rmtree(self.scratch, ignore_errors=True)


def nss_home(root: Path, trusted: dict[str, tuple[Path, str]]) -> Path:
    """A HOME whose NSS database trusts the given certificates, as an organisation deploys its
    own CA to its people's machines: `trusted` maps a nickname to (PEM file, trust flags),
    "C,," for a CA, "P,," for a single trusted server certificate."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=root))
    database = home / ".pki" / "nssdb"
    database.mkdir(parents=True)
    run("certutil", "-N", "-d", f"sql:{database}", "--empty-password")
    for nickname, (pem, flags) in trusted.items():
        run("certutil", "-A", "-d", f"sql:{database}", "-n", nickname, "-t", flags, "-i", str(pem))
    return home


def firefox_profile(root: Path, trusted: dict[str, tuple[Path, str]], tone: int) -> Path:
    """A Firefox profile whose NSS database trusts the given certificates (as `nss_home`), with
    Firefox's fake microphone playing a `tone` in Hz and the microphone allowed for every site, as
    a person who clicked Allow."""
    profile = Path(tempfile.mkdtemp(prefix="firefox-", dir=root))
    run("certutil", "-N", "-d", f"sql:{profile}", "--empty-password")
    for nickname, (pem, flags) in trusted.items():
        run("certutil", "-A", "-d", f"sql:{profile}", "-n", nickname, "-t", flags, "-i", str(pem))
    prefs = {
        "media.navigator.streams.fake": "true",
        "media.navigator.audio.fake_frequency": str(tone),
        "media.navigator.permission.disabled": "true",
        # A fresh profile's first-run pages and update checks, which no test needs.
        "browser.shell.checkDefaultBrowser": "false",
        "app.update.enabled": "false",
        "datareporting.policy.dataSubmissionEnabled": "false",
    }
    (profile / "user.js").write_text("".join(f'user_pref("{name}", {value});\n' for name, value in prefs.items()))
    return profile


class ThrowawayCa:
    """A throwaway certificate authority (openssl), for the certificates the tests serve."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.cert = directory / "ca.pem"
        self.key = directory / "ca.key"
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", str(self.key), "-out", str(self.cert), "-days", "2", "-subj", "/CN=Boardroom test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def issue(self, name: str, names: list[str], key: Path | None = None) -> tuple[Path, Path]:
        """A server certificate for `names` (DNS names or IP addresses); returns (cert, key)."""
        cert, own_key, csr = (self.directory / f"{name}.pem", self.directory / f"{name}.key", self.directory / f"{name}.csr")
        key = key or own_key
        if not key.exists():
            run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(key))
        run("openssl", "req", "-new", "-key", str(key), "-out", str(csr), "-subj", f"/CN={names[0]}")
        san = ",".join(f"IP:{n}" if n.replace(".", "").isdigit() else f"DNS:{n}" for n in names)
        extensions = self.directory / f"{name}.ext"
        extensions.write_text(f"subjectAltName={san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
        run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(self.cert), "-CAkey", str(self.key),
            "-CAcreateserial", "-out", str(cert), "-extfile", str(extensions), "-days", "2")
        return cert, key
