"""The httpd instance of the attacker's-view review (test_950-969): every way a
request can reach a file (methods, WebDAV destinations, sub-requests,
internal redirects, server-level rewrites and aliases, a reverse proxy, URL
spellings), TLS renegotiation, SNI against Host, in an instance of its own
with the modules that make those ways exist."""
import http.client
import importlib.util
import os
import socket
import ssl

from conftest import tls_vhost
from clients import tls_context
from device_tree import (ATTACKER, EXPIRED, VICTIM, common_body, dav_dirs, secret,
                         write_tree)
from httpd import module_available

ATTACK_MODULES = (["dav", "dav_fs", "rewrite", "alias", "proxy", "proxy_http", "dir",
                   "negotiation", "include", "autoindex"]
                  + (["http2"] if module_available("http2") else []))
ATTACK_PORTS = ["atk", "atkback", "atkdecode", "atknodecode", "atkreneg", "atksni"]

DEVICES = {ATTACKER: "attacker", EXPIRED: "expired", VICTIM: "valid"}

# What every test may leave in the error log: refusals by authorization
# (ours and mod_authz_core's).
DENIALS = [r"PA00101", r"AH01630"]

DIRS = dav_dirs("dav") + r"""
    # The documented per-phone tree, with a shared file.
    <Directory {root}/htdocs/cfg>
        Require provauth-mac
        <Files "000000000000.cfg">
            Require provauth-device
        </Files>
    </Directory>
    # Vendor pinning: each directory trusts one vendor's root (HTTP/2 streams
    # of one connection need a verdict per trust configuration).
    <Directory {root}/htdocs/pinned>
        ProvAuthCACertificateFile @POLY_ROOT@
        Require provauth-mac
    </Directory>
    <Directory {root}/htdocs/yea>
        ProvAuthCACertificateFile @YEALINK_ROOT@
        Require provauth-mac
    </Directory>
    # Error documents that are another phone's file: in the same directory
    # (httpd skips authorization) and in another one (httpd authorizes).
    <Directory {root}/htdocs/e403>
        ErrorDocument 403 /e403/0004f2000001.cfg
        ErrorDocument 404 /e403/0004f2000001.cfg
        Require provauth-mac
    </Directory>
    <Directory {root}/htdocs/eother>
        ErrorDocument 404 /cfg/0004f2000001.cfg
        Require provauth-mac
    </Directory>
    # An index name that is another directory's file of another phone.
    <Directory {root}/htdocs/idx>
        DirectoryIndex /cfg/0004f2000001.cfg
        Require provauth-mac path
    </Directory>
    <Directory {root}/htdocs/mv>
        Options +MultiViews
        AddType text/plain .cfg
        Require provauth-mac
    </Directory>
    # Pages an administrator wrote: includes of other files.
    <Directory {root}/htdocs/inc>
        Options +IncludesNOEXEC
        AddOutputFilter INCLUDES .shtml
        Require provauth-mac
    </Directory>
    # A listing open to every phone, files only to their own phone.
    <Directory {root}/htdocs/ai>
        Options +Indexes
        DirectoryIndex disabled
        <RequireAny>
            Require provauth-mac
            Require expr "%{{REQUEST_URI}} == '/ai/'"
        </RequireAny>
    </Directory>
    <Directory {root}/htdocs/pi>
        AcceptPathInfo On
        Require provauth-mac
    </Directory>
    # Negations whose provider runs into an internal error (PATH_INFO that
    # is not the end of the URL, made by a server-level rewrite).
    <Directory {root}/htdocs/neg>
        AcceptPathInfo On
        <RequireAll>
            Require all granted
            Require not provauth-mac
        </RequireAll>
    </Directory>
    <Directory {root}/htdocs/negnone>
        AcceptPathInfo On
        <RequireAll>
            Require all granted
            <RequireNone>
                Require provauth-mac
            </RequireNone>
        </RequireAll>
    </Directory>
    <Directory {root}/htdocs/negany>
        AcceptPathInfo On
        AuthType Basic
        AuthName "provisioning"
        AuthUserFile {root}/htpasswd
        <RequireAny>
            Require provauth-mac
            Require valid-user
        </RequireAny>
    </Directory>
    # Server-level mappings from a URL to a file.
    RewriteEngine On
    RewriteRule ^/drop/([0-9a-f]{{12}})/ {root}/htdocs/cfg/$1.cfg
    RewriteRule ^/ptdrop/([0-9a-f]{{12}})/ /cfg/$1.cfg [PT]
    RewriteCond %{{QUERY_STRING}} ^mac=([0-9a-f]{{12}})$
    RewriteRule ^/qs/[0-9a-f]{{12}}\.cfg$ {root}/htdocs/cfg/%1.cfg
    RewriteRule ^/(neg|negnone|negany)pi/ {root}/htdocs/$1/0004f20000aa.cfg/fixed
    AliasMatch ^/am/([0-9a-f]{{12}}) {root}/htdocs/cfg/$1.cfg
    # A reverse proxy to a back end that serves the same files: it strips
    # path parameters (as servlet containers do) and takes PATH_INFO.
    ProxyPass /px/ http://127.0.0.1:{atkback}/cfg/
    <Location /px/>
        Require provauth-mac
    </Location>"""

BACKEND = r"""
<VirtualHost 127.0.0.1:{atkback}>
    ServerName backend
    RewriteEngine On
    RewriteRule ^(/[^;]*);.*$ $1
    <Directory {root}/htdocs/cfg>
        AcceptPathInfo On
    </Directory>
</VirtualHost>
"""

# Per-directory SSLVerifyClient: a renegotiation (TLS 1.2) or post-handshake
# authentication (TLS 1.3) asks for the certificate.
RENEG_DIRS = r"""
    <Directory {root}/htdocs/cfg>
        SSLVerifyClient optional_no_ca
        Require provauth-mac
    </Directory>
    <Directory {root}/htdocs/dev>
        SSLVerifyClient require
        Require provauth-device
    </Directory>"""

SNI_DIRS = r"""
    <Directory {root}/htdocs/cfg>
        Require provauth-mac
    </Directory>"""

# Startup lines of this instance: PA00003 for the renegotiation vhost.
STARTUP = [r"PA00003: ProvAuthAcceptExpired On for the virtual host localhost"]


def attack_body(pki, ports):
    intermediates = f"    ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}"
    h2 = "\n    Protocols h2 http/1.1" if module_available("http2") else ""
    accept = "    ProvAuthAcceptExpired On\n" + intermediates + h2
    body = common_body(ports)
    dirs = DIRS.replace("@POLY_ROOT@", pki.path("poly-root.pem")) \
               .replace("@YEALINK_ROOT@", pki.path("yealink-root.pem"))
    body += tls_vhost(pki, "atk", "optional_no_ca", accept, dirs)
    body += tls_vhost(pki, "atkdecode", "optional_no_ca",
                      accept + "\n    AllowEncodedSlashes On", dirs)
    body += tls_vhost(pki, "atknodecode", "optional_no_ca",
                      accept + "\n    AllowEncodedSlashes NoDecode", dirs)
    body += BACKEND
    body += tls_vhost(pki, "atkreneg", "none", accept, RENEG_DIRS)
    # b.test first: the default virtual host of the port (no SNI, unknown Host).
    body += tls_vhost(pki, "atksni", "require", intermediates + h2, SNI_DIRS,
                      server_name="b.test")
    body += tls_vhost(pki, "atksni", "require", accept, SNI_DIRS, server_name="a.test")
    return body


ATTACK_FILES = {
    "cfg": [VICTIM + ".cfg", ATTACKER + ".cfg", EXPIRED + ".cfg", "000000000000.cfg"],
    "e403": [VICTIM + ".cfg"],
    "eother": [],
    f"idx/{ATTACKER}": [],
    f"idx/{VICTIM}": [],
    "mv": [VICTIM + ".cfg", ATTACKER + ".cfg"],
    "inc": [VICTIM + ".cfg", ATTACKER + ".cfg"],
    "ai": [VICTIM + ".cfg", ATTACKER + ".cfg"],
    "pi": [VICTIM + ".cfg", ATTACKER + ".cfg"],
    "neg": [VICTIM + ".cfg", ATTACKER + ".cfg"],
    "negnone": [VICTIM + ".cfg", ATTACKER + ".cfg"],
    "negany": [VICTIM + ".cfg", ATTACKER + ".cfg"],
    "dev": ["firmware.ld"],
    "pinned": [VICTIM + ".cfg", ATTACKER + ".cfg"],
    "yea": [ATTACKER + ".cfg", "001565000010.cfg"],
}
WRITABLE = ["dav", "davtree"]

# Pages of the attacker's name that pull in the victim's file (and a
# control that pulls in the attacker's own).
INCLUDES = {
    f"{ATTACKER}-file.shtml": f'[<!--#include file="{VICTIM}.cfg" -->]\n',
    f"{ATTACKER}-virtual.shtml": f'[<!--#include virtual="{VICTIM}.cfg" -->]\n',
    f"{ATTACKER}-other-dir.shtml": f'[<!--#include virtual="/cfg/{VICTIM}.cfg" -->]\n',
    f"{ATTACKER}-fsize.shtml": f'[<!--#fsize virtual="{VICTIM}.cfg" -->]'
                               f'[<!--#flastmod file="{VICTIM}.cfg" -->]\n',
    f"{ATTACKER}-own.shtml": f'[<!--#include file="{ATTACKER}.cfg" -->]'
                             f'[<!--#fsize file="{ATTACKER}.cfg" -->]\n',
}


def attack_files(root):
    write_tree(root, ATTACK_FILES, WRITABLE,
               {f"inc/{name}": text for name, text in INCLUDES.items()})


def on_disk(server, path):
    """The bytes of a served path on disk, or None."""
    try:
        with open(os.path.join(server.root, "htdocs", path.lstrip("/")), "rb") as data:
            return data.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def request(pki, server, method, path, device, body=None, headers=None, port="atk",
            sni="localhost", context=None):
    """One request, the path sent as it is; returns (status, lower-cased
    headers, body bytes), status 0 when the connection failed.  context:
    an SSLContext of the caller's instead of the device's."""
    ctx = context or (tls_context(pki, device) if device else tls_context(pki))
    conn = http.client.HTTPSConnection("127.0.0.1", server.ports[port], context=ctx,
                                       timeout=10)
    sent = {"Host": sni}
    sent.update(headers or {})
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in sent.items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    except (ssl.SSLError, OSError, http.client.HTTPException) as err:
        return 0, {"error": str(err)}, b""
    finally:
        conn.close()


def destination(server, path, port="atk"):
    return f"https://localhost:{server.ports[port]}{path}"


def h2_available():
    """mod_http2 to serve, python3-h2 to send streams of our choosing."""
    return module_available("http2") and importlib.util.find_spec("h2") is not None


def h2_streams(pki, server, device, port, sni, requests):
    """One HTTP/2 connection (SNI sni), one stream per (:authority, :path),
    all sent before any answer is read; the :status of each (0: reset or
    never answered)."""
    import h2.config
    import h2.connection
    import h2.events

    ctx = tls_context(pki, device)
    ctx.set_alpn_protocols(["h2"])
    raw = socket.create_connection(("127.0.0.1", server.ports[port]), timeout=10)
    sock = ctx.wrap_socket(raw, server_hostname=sni)
    assert sock.selected_alpn_protocol() == "h2"
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    ids = []
    for authority, path in requests:
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, [(":method", "GET"), (":scheme", "https"),
                                   (":authority", authority), (":path", path)],
                          end_stream=True)
        ids.append(stream)
    sock.sendall(conn.data_to_send())
    status, done = {}, set()
    try:
        while len(done) < len(ids):
            data = sock.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    status[event.stream_id] = int(dict(event.headers)[b":status"])
                elif isinstance(event, h2.events.DataReceived):
                    conn.acknowledge_received_data(event.flow_controlled_length,
                                                   event.stream_id)
                elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                    done.add(event.stream_id)
                elif isinstance(event, h2.events.ConnectionTerminated):
                    done.update(ids)
            sock.sendall(conn.data_to_send())
    except (ssl.SSLError, OSError):
        pass
    sock.close()
    return [status.get(stream, 0) for stream in ids]
