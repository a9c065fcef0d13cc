"""Issue 17: the client's address behind reverse proxies (domain/client_address.py).

X-Forwarded-For is believed only from a trusted proxy (DASHBOARD_TRUSTED_PROXIES), read from
the right; a browser's forged header is ignored; a malformed one means unknown, never an error."""

import pytest

from domain.client_address import client_address, parse_address, trusted_proxies

LOCAL, _ = trusted_proxies(None)  # the default: the machine itself
CLUSTER, _ = trusted_proxies("127.0.0.1")
NETWORK, _ = trusted_proxies("10.0.0.0/24, 127.0.0.1")


def test_the_trusted_list():
    assert [str(n) for n in LOCAL] == ["127.0.0.1/32", "::1/128"]
    assert trusted_proxies("") == ((), [])  # empty: nobody is trusted
    networks, bad = trusted_proxies(" 10.0.0.0/8 ,, 2001:db8::/32, proxy.example, 10.0.0.300, 192.168.1.7/24")
    assert [str(n) for n in networks] == ["10.0.0.0/8", "2001:db8::/32", "192.168.1.0/24"]
    assert bad == ["proxy.example", "10.0.0.300"]


def test_a_browser_that_is_not_a_trusted_proxy_cannot_forge_its_address():
    assert client_address("203.0.113.7", ["198.51.100.1"], CLUSTER) == "203.0.113.7"
    assert client_address("203.0.113.7", ["127.0.0.1, 10.0.0.5"], NETWORK) == "203.0.113.7"
    assert client_address("203.0.113.7", [], CLUSTER) == "203.0.113.7"
    # Nothing trusted: even a loopback peer's header is ignored, and loopback is unknown.
    assert client_address(None, ["198.51.100.1"], ()) is None
    assert client_address("10.0.0.5", ["198.51.100.1"], ()) == "10.0.0.5"


def test_behind_a_trusted_proxy_the_right_most_hop_that_is_not_one():
    # scripts/cluster.py: HAProxy on 127.0.0.1 (Streamlit reports a loopback peer as None).
    assert client_address(None, ["203.0.113.7"], CLUSTER) == "203.0.113.7"
    # What the browser wrote, then what HAProxy appended: the browser's own address wins.
    assert client_address(None, ["6.6.6.6, 1.2.3.4", "203.0.113.7"], CLUSTER) == "203.0.113.7"
    # Two trusted hops (a load balancer in 10.0.0.0/24, then HAProxy).
    assert client_address(None, ["6.6.6.6, 203.0.113.7, 10.0.0.5"], NETWORK) == "203.0.113.7"
    assert client_address("10.0.0.9", ["203.0.113.7"], NETWORK) == "203.0.113.7"
    # No header, or nothing but trusted proxies in it: nobody beyond them is known.
    assert client_address(None, [], CLUSTER) is None
    assert client_address(None, ["127.0.0.1"], CLUSTER) is None
    assert client_address("10.0.0.9", ["10.0.0.4, 127.0.0.1"], NETWORK) is None


@pytest.mark.parametrize(
    "header",
    ["", " ", "unknown", "203.0.113.7, ", "<script>", "203.0.113.300", "1.2.3.4, not-an-ip", "[2001:db8::1", "[::1]x", "a" * 10_000, ",,,"],
)
def test_a_malformed_header_is_unknown_not_an_error(header):
    assert client_address(None, [header], CLUSTER) is None


def test_malformed_left_of_the_client_does_not_matter_nor_do_odd_inputs():
    assert client_address(None, ["garbage, 203.0.113.7"], CLUSTER) == "203.0.113.7"
    assert client_address("not an address", ["203.0.113.7"], CLUSTER) is None
    assert client_address(None, None, CLUSTER) is None  # type: ignore[arg-type]
    assert client_address(None, ["1.1.1.1, " * 10_000 + "203.0.113.7"], CLUSTER) == "203.0.113.7"


def test_ipv6():
    v6, _ = trusted_proxies("::1, fd00::/8")
    assert client_address(None, ["2001:DB8:0:0::7"], v6) == "2001:db8::7"  # one text form
    assert client_address("fd00::2", ["2001:db8::7, fd00::1"], v6) == "2001:db8::7"
    assert client_address("2001:db8::9", ["2001:db8::7"], v6) == "2001:db8::9"  # not trusted
    assert client_address(None, ["[2001:db8::7]:51000"], v6) == "2001:db8::7"
    assert client_address(None, ["::ffff:203.0.113.7"], v6) == "203.0.113.7"  # IPv4-mapped
    assert client_address("::ffff:127.0.0.1", ["203.0.113.7"], CLUSTER) == "203.0.113.7"
    assert client_address(None, ["fe80::1%eth0"], v6) == "fe80::1"
    assert client_address(None, ["::1"], v6) is None


def test_addresses_as_proxies_write_them():
    assert str(parse_address("203.0.113.7:8080")) == "203.0.113.7"
    assert str(parse_address(' "203.0.113.7" ')) == "203.0.113.7"
    assert str(parse_address("[2001:db8::1]")) == "2001:db8::1"
    assert parse_address("2001:db8::1:80") is not None  # a bare IPv6 address, not a port
    assert parse_address(None) is None and parse_address("") is None


def _script(name: str):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(f"{name}_script", Path(__file__).resolve().parent.parent / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cluster_trusts_its_haproxy_and_the_operators_proxies():
    cluster = _script("cluster")
    assert cluster.trusted_proxies(None) == "127.0.0.1"
    assert cluster.trusted_proxies("") == "127.0.0.1"
    assert cluster.trusted_proxies(" 10.0.0.0/8, 127.0.0.1 ") == "127.0.0.1,10.0.0.0/8"


def test_the_launcher_gives_streamlits_server_the_same_trusted_proxies(monkeypatch, capsys):
    """uvicorn rewrites the peer from X-Forwarded-For for FORWARDED_ALLOW_IPS: the same list."""
    serve = _script("serve")
    monkeypatch.delenv("DASHBOARD_TRUSTED_PROXIES", raising=False)
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    serve.trust_proxies()
    assert serve.os.environ["FORWARDED_ALLOW_IPS"] == "127.0.0.1/32,::1/128"
    monkeypatch.setenv("DASHBOARD_TRUSTED_PROXIES", "")
    serve.trust_proxies()
    assert serve.os.environ["FORWARDED_ALLOW_IPS"] == ""  # nobody: uvicorn trusts no header either
    monkeypatch.setenv("DASHBOARD_TRUSTED_PROXIES", "10.0.0.0/24, proxy.example")
    serve.trust_proxies()
    assert serve.os.environ["FORWARDED_ALLOW_IPS"] == "10.0.0.0/24"
    assert "proxy.example" in capsys.readouterr().err
