"""End to end: a room that other computers reach. Each computer is a network namespace made
by the test (netns.py): a colleague on the same LAN; a server behind a cloud's 1:1 NAT
(announcing its public address); people at home behind NAT routers; one behind a firewall
that drops all UDP, who gets through only by TURN over TCP (coturn); a server that gets its
certificate over ACME from Pebble. Browsers are headless Chromium with
no flag that weakens security: they trust a test CA through their NSS database, as an
organisation deploys its own CA. Bad certificate files and a TURN server that does not answer
give messages a person can act on."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from netns import Network, ThrowawayCa, free_port, nss_home, run
from rig import Host, make_wav, wait_until

TURN_SECRET = "boardroom-test-turn-secret"
DOMAIN = "meet.boardroom.test"
# The "internet": the room's server (its public address; the machine itself has a private
# one behind a 1:1 NAT, as a cloud VM does), the TURN server, the certificate authority.
SERVER, TURN, ACME = "10.201.0.10", "10.201.0.20", "10.201.0.30"
SERVER_PRIVATE = "172.16.5.10"


def hears(page, sender: str, floor: float = -50.0):
    return page.heard().get(sender, {}).get("rmsDbfs", -100) > floor


def test_a_colleague_on_the_same_network_joins_over_https_and_they_hear_each_other(
    tmp_path, data_dir, network, ca, browsers, speakers
):
    room_ns, guest_ns = network.host("room"), network.host("guest")
    room_if, _ = network.link(room_ns, "192.168.77.10/24", guest_ns, "192.168.77.20/24")
    network.default_route(room_ns, device=room_if)
    cert, key = ca.issue("room", ["192.168.77.10"])
    speakers.play_into_microphone(make_wav(tmp_path / "tone.wav", tone=440))
    host = Host(data_dir, "--room-lan", "--tls-cert", str(cert), "--tls-key", str(key), "--udp-ports", "40000-40009", "--speakers", namespace=room_ns)
    try:
        assert host.invite.startswith("https://192.168.77.10:"), host.invite
        home = nss_home(tmp_path, {"boardroom-test-ca": (ca.cert, "C,,")})
        ana = browsers(make_wav(tmp_path / "ana.wav", speech="Good morning from the other desk."), driver_url=network.webdriver_url(guest_ns, home))
        ana.join(host.invite, "Ana")
        assert ana.driver.execute_script("return window.isSecureContext && location.protocol") == "https:"
        wait_until(lambda: host.participants() == "Host, Ana", 30, f"the host lists Ana: {host.participants()}")
        heard = wait_until(lambda: (h := ana.heard()).get("host", {}).get("rmsDbfs", -100) > -40 and h, 30, f"Ana hears the host: {ana.heard()}")
        assert abs(heard["host"]["frequency"] - 440) < 10, heard
        level = speakers.record_speakers(3)
        assert level > -45, f"the host hears Ana on the speakers: {level:.1f} dBFS"
        route = ana.route()
        assert route["remote"] == "host" and 40000 <= route["remotePort"] <= 40009, f"the room's audio uses its UDP range: {route}"
        print(f"LAN: Ana hears the host at {heard['host']}; the host's speakers at {level:.1f} dBFS; route {route}")
    finally:
        host.stop()


def test_the_self_signed_certificate_is_kept_and_its_fingerprint_is_the_one_served(tmp_path, data_dir, network, browsers):
    room_ns, guest_ns = network.host("room"), network.host("guest")
    room_if, _ = network.link(room_ns, "192.168.78.10/24", guest_ns, "192.168.78.20/24")
    network.default_route(room_ns, device=room_if)
    host = Host(data_dir, "--room-lan", "--microphone", "none", namespace=room_ns)
    try:
        fingerprint = host.value("tls: ").rsplit("SHA-256 ", 1)[1]
        served = network.sh(guest_ns, f"openssl s_client -connect 192.168.78.10:{host.invite.split(':')[2].split('/')[0]} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256")
        assert served.strip().split("=", 1)[1] == fingerprint, (served, fingerprint)
        # A browser that has not been told to trust it shows its warning: no page, no microphone.
        stranger = browsers(make_wav(tmp_path / "x.wav", tone=300, seconds=2), driver_url=network.webdriver_url(guest_ns, nss_home(tmp_path, {})))
        stranger.driver.get(host.invite)
        assert not stranger.driver.find_elements("name", "name"), "the page does not open behind the certificate warning"
        # Someone who accepted it (here: trusted it in their certificate store) joins.
        kept = data_dir / "room-tls" / "cert.pem"
        home = nss_home(tmp_path, {"boardroom-room": (kept, "P,,")})
        ana = browsers(make_wav(tmp_path / "ana.wav", speech="Hello."), driver_url=network.webdriver_url(guest_ns, home))
        ana.join(host.invite, "Ana")
        wait_until(lambda: host.participants().startswith("Host, Ana"), 30, host.participants())
    finally:
        host.stop()
    again = Host(data_dir, "--room-lan", "--microphone", "none", namespace=room_ns)
    try:
        assert again.value("tls: ").endswith(fingerprint), "the same certificate after a restart"
    finally:
        again.stop()


class Internet:
    """A server behind a cloud's 1:1 NAT, a TURN server, an ACME authority and three homes
    behind NAT routers, on one "internet" bridge; the third home's router drops all UDP."""

    def __init__(self, network: Network):
        self.net = network
        wan = network.host("wan")
        bridge = network.bridge(wan)
        self.turn, self.acme = network.host("turn"), network.host("acme")
        for namespace, address in ((self.turn, TURN), (self.acme, ACME)):
            inside, port = network.link(namespace, f"{address}/24", wan)
            network.plug(wan, bridge, port)
            network.default_route(namespace, device=inside)
        cloud, self.server = network.host("cloud"), network.host("server")
        outside, port = network.link(cloud, "10.201.0.9/24", wan)
        network.plug(wan, bridge, port)
        network.link(cloud, "172.16.5.1/24", self.server, f"{SERVER_PRIVATE}/24")
        network.default_route(self.server, via="172.16.5.1")
        network.one_to_one_nat(cloud, outside, SERVER, SERVER_PRIVATE)
        self.homes = []
        for n in (1, 2, 3):
            router, person = network.host(f"r{n}"), network.host(f"p{n}")
            outside, port = network.link(router, f"10.201.0.{100 + n}/24", wan)
            network.plug(wan, bridge, port)
            network.link(router, f"192.168.{n}.1/24", person, f"192.168.{n}.2/24")
            network.router(router, outside, drop_udp=(n == 3))
            network.default_route(person, via=f"192.168.{n}.1")
            self.homes.append(person)

    def start_coturn(self):
        self.net.spawn(
            self.turn, "turnserver", "-n", "--use-auth-secret", f"--static-auth-secret={TURN_SECRET}", "--realm=boardroom.test",
            f"--listening-ip={TURN}", f"--relay-ip={TURN}", "--listening-port=3478", "--min-port=49152", "--max-port=49352",
            "--no-cli", "--no-tls", "--no-dtls", "--log-file=stdout", "--simple-log",
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: "3478" in self.net.sh(self.turn, "ss -ltn"), 10, "coturn listens")


@pytest.fixture
def internet(network) -> Internet:
    return Internet(network)


def test_people_behind_nats_hear_each_other_and_a_firewalled_one_comes_in_through_turn_over_tcp(
    tmp_path, data_dir, internet, ca, browsers
):
    internet.start_coturn()
    cert, key = ca.issue("server", [SERVER])
    host = Host(
        data_dir, "--microphone", "none", "--tls-cert", str(cert), "--tls-key", str(key), "--public-ip", SERVER,
        "--ice-server", f"stun:{TURN}:3478", "--ice-server", f"turn:{TURN}:3478", "--ice-server", f"turn:{TURN}:3478?transport=tcp",
        env={"BOARDROOM_TURN_SECRET": TURN_SECRET}, namespace=internet.server,
    )
    try:
        assert not [line for line in host.lines if line.startswith("warning:")], host.output()
        home = nss_home(tmp_path, {"boardroom-test-ca": (ca.cert, "C,,")})
        voices = ["I finished the packetizer yesterday.", "Today I am on the retransmission buffer.", "I am blocked on the review."]
        people = []
        for n, (namespace, sentence) in enumerate(zip(internet.homes, voices), start=1):
            page = browsers(make_wav(tmp_path / f"p{n}.wav", speech=sentence), driver_url=internet.net.webdriver_url(namespace, home))
            page.join(host.invite, f"P{n}")
            people.append(page)
        wait_until(lambda: host.participants() == "Host, P1, P2, P3", 40, f"all three join: {host.participants()}")
        p1, p2, p3 = people
        wait_until(lambda: hears(p1, "p2") and hears(p2, "p1"), 30, f"the two behind NATs hear each other: {p1.heard()} {p2.heard()}")
        wait_until(lambda: hears(p3, "p1") and hears(p1, "p3"), 40, f"the firewalled one hears and is heard: {p3.heard()} {p1.heard()}")
        route = wait_until(lambda: p3.route(), 10, "P3's route")
        print(f"P1 route {p1.route()}; P3 route {route}")
        assert route["local"] == "relay" and route["relayProtocol"] == "tcp", route
        assert p1.route()["local"] != "relay", "a NAT alone needs no relay"
    finally:
        host.stop()


def test_a_server_gets_its_certificate_over_acme_and_a_participant_joins_with_it(tmp_path, data_dir, internet, ca, browsers):
    net = internet.net
    pebble_cert, pebble_key = ca.issue("pebble", [ACME, "127.0.0.1"])
    config = tmp_path / "pebble.json"
    config.write_text(json.dumps({"pebble": {
        "listenAddress": f"{ACME}:14000", "managementListenAddress": f"{ACME}:15000",
        "certificate": str(pebble_cert), "privateKey": str(pebble_key),
        "httpPort": 5002, "tlsPort": 443, "ocspResponderURL": "", "externalAccountBindingRequired": False,
    }}))
    net.spawn(internet.acme, "pebble-challtestsrv", "-defaultIPv4", SERVER, "-defaultIPv6", "", "-dns01", f"{ACME}:8053",
              "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", f"{ACME}:8055", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    net.spawn(internet.acme, "pebble", "-config", str(config), "-dnsserver", f"{ACME}:8053",
              env={"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: "14000" in net.sh(internet.acme, "ss -ltn"), 15, "Pebble listens")
    host = Host(
        data_dir, "--microphone", "none", "--domain", DOMAIN, "--acme-contact", "ops@boardroom.test", "--public-ip", SERVER,
        "--acme-directory", f"https://{ACME}:14000/dir",
        # The server trusts the authority's own HTTPS certificate the way curl would.
        env={"SSL_CERT_FILE": str(ca.cert)}, namespace=internet.server,
    )
    try:
        assert host.invite.startswith(f"https://{DOMAIN}/r/"), host.invite
        wait_until(lambda: "tls: certificate obtained and served" in host.lines, 60, f"the certificate arrives:\n{host.output()}")
        root = tmp_path / "pebble-root.pem"
        root.write_text(net.sh(internet.acme, f"curl -sf --cacert {ca.cert} https://{ACME}:15000/roots/0"))
        person = internet.homes[0]
        net.hosts_file(person, {DOMAIN: SERVER})
        home = nss_home(tmp_path, {"pebble-test-root": (root, "C,,")})
        ana = browsers(make_wav(tmp_path / "ana.wav", speech="Joining from home."), driver_url=net.webdriver_url(person, home))
        ana.join(host.invite, "Ana")
        wait_until(lambda: host.participants().startswith("Host, Ana"), 30, host.participants())
        issuer = net.sh(person, f"openssl s_client -connect {SERVER}:443 -servername {DOMAIN} </dev/null 2>/dev/null | openssl x509 -noout -issuer")
        assert "Pebble" in issuer, issuer
    finally:
        host.stop()
    # A restart serves the kept certificate at once, without a new order.
    again = Host(data_dir, "--microphone", "none", "--domain", DOMAIN, "--acme-directory", f"https://{ACME}:14000/dir",
                 env={"SSL_CERT_FILE": str(ca.cert)}, namespace=internet.server)
    try:
        wait_until(lambda: "tls: certificate obtained and served" in again.lines, 10, again.output())
    finally:
        again.stop()


def host_fails(data_dir: Path, *args: str) -> str:
    binary = os.environ["BOARDROOM_HOST"]
    result = subprocess.run([binary, "--data-dir", str(data_dir), "--microphone", "none", "--room", *args], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0, result.stdout
    return result.stderr


def test_bad_certificates_and_a_silent_turn_server_are_explained(tmp_path, data_dir, ca):
    cert, key = ca.issue("good", ["127.0.0.1"])
    _, other_key = ca.issue("other", ["127.0.0.1"])
    missing = host_fails(data_dir, "--tls-cert", str(tmp_path / "nope.pem"), "--tls-key", str(key))
    assert "nope.pem could not be read" in missing, missing
    mismatched = host_fails(data_dir, "--tls-cert", str(cert), "--tls-key", str(other_key))
    assert "does not belong to the certificate" in mismatched, mismatched
    not_pem = tmp_path / "garbage.pem"
    not_pem.write_text("this is not a certificate")
    garbage = host_fails(data_dir, "--tls-cert", str(not_pem), "--tls-key", str(key))
    assert "holds no PEM certificate" in garbage, garbage
    secretless = host_fails(data_dir, "--ice-server", "turn:127.0.0.1:3478")
    assert "shared secret" in secretless, secretless

    # A TURN server that does not answer (a closed port on this machine): the room opens and says so.
    silent = f"turn:127.0.0.1:{free_port()}"
    host = Host(data_dir, "--microphone", "none", "--ice-server", silent, env={"BOARDROOM_TURN_SECRET": TURN_SECRET})
    try:
        warning = wait_until(lambda: [l for l in host.lines if l.startswith("warning:")], 10, host.output())[0]
        assert silent in warning and "does not answer" in warning, warning
    finally:
        host.stop()
