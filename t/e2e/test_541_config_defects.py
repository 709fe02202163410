"""Configuration slips that used to pass silently or stall `apache2 -t`: a
ProvAuthMACFrom regex with runaway compile cost, an allow-list without a
single entry, and a single-valued ProvAuth directive given twice in one
section."""
import os
import re
import subprocess
import time

import pytest

from conftest import module_path
from httpd import APACHE2, Httpd

# glibc's regcomp never returned on this one; PCRE2 refuses it at once.
RUNAWAY_REGEX = "((((a{{1,200}}){{1,200}}){{1,200}}){{1,200}})"   # braces: format string


def configtest(workdir, name, body, timeout=30):
    server = Httpd(os.path.join(workdir, "config541", name), body, module=module_path())
    server.write_config()
    try:
        result = subprocess.run([APACHE2, "-t", "-f", server.conf], capture_output=True,
                                text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"apache2 -t did not finish within {timeout} s")
    return result.returncode, result.stdout + result.stderr, server.conf


def write(workdir, name, text):
    path = os.path.join(workdir, "config541", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        out.write(text)
    return path


def line_of(conf, start, nth=1):
    """Number of the nth line of conf that starts (indentation aside) with start."""
    with open(conf) as text:
        hits = [no for no, line in enumerate(text, 1) if line.strip().startswith(start)]
    return hits[nth - 1]


# ---- ProvAuthMACFrom: bounded regex compile ----------------------------------

@pytest.mark.parametrize("pattern, message", [
    (RUNAWAY_REGEX, "too large"),
    ("(" * 40 + "[0-9a-f]{{12}}" + ")" * 40, "nested"),
    ("([0-9a-f]{{12}})" + "x" * 1100, "longer than"),
])
def test_costly_regex_fails_configtest_at_once_naming_the_directive(workdir, pattern,
                                                                    message):
    code, out, conf = configtest(workdir, f"regex-{message.replace(' ', '-')}",
                                 f'<Directory /srv/prov>\n    ProvAuthMACFrom CN "{pattern}"\n'
                                 '</Directory>\n')
    assert code != 0, f"expected apache2 -t to fail, got exit 0:\n{out}"
    for needle in ["ProvAuthMACFrom", "bad regular expression", message, conf]:
        assert needle in out, f"expected {needle!r} in:\n{out}"


def test_pcre_regex_forms_pass_configtest(workdir):
    code, out, _ = configtest(workdir, "regex-good", """
<Directory /srv/prov/a>
    ProvAuthMACFrom CN "SEP([0-9A-Fa-f]{{12}})$"
</Directory>
<Directory /srv/prov/b>
    ProvAuthMACFrom OU "^mac=([[:xdigit:]]{{2}}(:[[:xdigit:]]{{2}}){{5}})$"
</Directory>
<Directory /srv/prov/c>
    ProvAuthMACFrom CN "(?i)sep([0-9a-f]{{12}})"
</Directory>
""")
    assert code == 0, out
    assert "PA000" not in out, out


# ---- allow-lists without entries ---------------------------------------------

@pytest.mark.parametrize("kind, content", [
    ("empty", ""),
    ("comments", "# customer A\n# (no phones yet)\n"),
    ("blank", "\n   \n\t\n"),
])
def test_allowlist_without_entries_warns_naming_the_file(workdir, kind, content):
    path = write(workdir, f"allow-{kind}.txt", content)
    code, out, conf = configtest(workdir, f"allow-{kind}", f"""
<Directory /srv/prov/a>
    Require provauth-allowlist {path}
</Directory>
<Directory /srv/prov/b>
    Require provauth-allowlist {path}
</Directory>
""")
    assert code == 0, f"an empty list is a warning, not an error:\n{out}"
    lines = [line for line in out.splitlines() if "PA00020" in line]
    assert len(lines) == 1, f"expected one PA00020 line (the list is loaded once):\n{out}"
    for needle in ["Require provauth-allowlist", f"'{path}'", conf,
                   f"line {line_of(conf, 'Require provauth-allowlist')} ", "no entries", "every device is refused"]:
        assert needle in lines[0], f"expected {needle!r} in {lines[0]!r}"


def test_allowlist_with_entries_does_not_warn(workdir):
    path = write(workdir, "allow-one.txt", "# one phone\n0004f2000001\n")
    code, out, _ = configtest(workdir, "allow-one",
                              f"<Directory /srv/prov>\n    Require provauth-allowlist {path}\n"
                              "</Directory>\n")
    assert code == 0 and "PA00020" not in out, out


def test_empty_allowlist_warns_in_the_error_log_at_start(workdir, pki):
    from httpd import free_port
    path = write(workdir, "allow-start.txt", "# nobody\n")
    port = free_port()
    server = Httpd(os.path.join(workdir, "config541", "allow-start"), f"""
Listen 127.0.0.1:{port}
<VirtualHost 127.0.0.1:{port}>
    ServerName localhost
    SSLEngine on
    SSLCertificateFile {pki.path('server.crt')}
    SSLCertificateKeyFile {pki.path('server.key')}
    SSLCACertificateFile {pki.path('vendor-roots.pem')}
    SSLVerifyClient optional_no_ca
    <Directory {{root}}/htdocs>
        Require provauth-allowlist {path}
    </Directory>
</VirtualHost>
""", module=module_path(), ports={"https": port})
    server.start()
    try:
        log = server.read_log()
        lines = [line for line in log.splitlines() if "PA00020" in line]
        assert len(lines) == 1, f"expected one PA00020 line in the error log:\n{log}"
        assert re.search(r"\[provauth:warn\].*PA00020: .*" + re.escape(path),
                         lines[0]), lines
        # and again at a graceful restart, once
        subprocess.run([APACHE2, "-f", server.conf, "-k", "graceful"], check=True)
        deadline = time.time() + 15
        while log.count("resuming normal operations") < 2 and time.time() < deadline:
            time.sleep(0.1)
            log = server.read_log()
    finally:
        server.stop()
    lines = [line for line in log.splitlines() if "PA00020" in line]
    assert len(lines) == 2, f"expected a second PA00020 line after graceful:\n{log}"


# ---- single-valued directives given twice in one section ---------------------

@pytest.fixture(scope="module")
def files(pki):
    return {"ProvAuthCACertificateFile": pki.path("poly-root.pem"),
            "ProvAuthIntermediateFile": pki.path("poly-intermediates.pem"),
            "ProvAuthCRLFile": pki.path("poly-crl.pem")}


def repeated(directive, files):
    if directive == "ProvAuthMACFrom":
        return "ProvAuthMACFrom CN", 'ProvAuthMACFrom CN "SEP([0-9a-f]{{12}})"'
    if directive == "ProvAuthAcceptExpired":
        return "ProvAuthAcceptExpired On", "ProvAuthAcceptExpired Off"
    return f"{directive} {files[directive]}", f"{directive} {files[directive]}"


@pytest.mark.parametrize("directive", ["ProvAuthCACertificateFile",
                                       "ProvAuthIntermediateFile", "ProvAuthCRLFile",
                                       "ProvAuthMACFrom", "ProvAuthAcceptExpired"])
def test_directive_given_twice_in_one_section_warns_with_file_and_lines(
        workdir, files, directive):
    first, second = repeated(directive, files)
    if directive == "ProvAuthAcceptExpired":    # server config, virtual host
        body = f"<VirtualHost 127.0.0.1:9>\n    {first}\n    {second}\n</VirtualHost>\n"
    else:
        body = f"<Directory /srv/prov>\n    {first}\n    {second}\n</Directory>\n"
    code, out, conf = configtest(workdir, f"twice-{directive}", body)
    assert code == 0, f"a repeat is a warning, not an error:\n{out}"
    lines = [line for line in out.splitlines() if "PA00021" in line]
    assert len(lines) == 1, f"expected one PA00021 line:\n{out}"
    here, earlier = line_of(conf, directive, 2), line_of(conf, directive, 1)
    for needle in [f"{directive} on line {here} of {conf}",
                   f"repeats the one on line {earlier} of {conf}", "only the last one"]:
        assert needle in lines[0], f"expected {needle!r} in {lines[0]!r}"


@pytest.mark.parametrize("directive", ["ProvAuthCACertificateFile", "ProvAuthMACFrom",
                                       "ProvAuthAcceptExpired"])
def test_same_directive_in_different_sections_does_not_warn(workdir, files, directive):
    first, second = repeated(directive, files)
    if directive == "ProvAuthAcceptExpired":
        body = (f"{first}\n<VirtualHost 127.0.0.1:9>\n    {second}\n</VirtualHost>\n"
                f"<VirtualHost 127.0.0.1:10>\n    {second}\n</VirtualHost>\n")
    else:
        body = (f"{first}\n<Directory /srv/prov>\n    {second}\n"
                f"    <Files x.cfg>\n        {first}\n    </Files>\n</Directory>\n"
                f"<Directory /srv/prov>\n    {first}\n</Directory>\n"
                f"<Location /prov>\n    {second}\n</Location>\n")
    code, out, _ = configtest(workdir, f"apart-{directive}", body)
    assert code == 0, out
    assert "PA00021" not in out, out
