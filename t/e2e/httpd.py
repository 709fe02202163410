"""A real Debian apache2 for the end-to-end suite: generated config, loopback,
free ports, its own server root, pid file and logs."""
import os
import re
import shutil
import socket
import subprocess
import time

APACHE2 = os.environ.get("PROVAUTH_APACHE2", shutil.which("apache2") or "/usr/sbin/apache2")
MODULE_DIR = os.environ.get("PROVAUTH_MODULE_DIR", "/usr/lib/apache2/modules")
RUN_USER = os.environ.get("PROVAUTH_RUN_USER", "www-data")

BASE_MODULES = ["mpm_event", "authz_core", "authn_core", "authn_file", "auth_basic",
                "authz_user", "headers", "mime", "socache_shmcb",
                "ssl", "env"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def module_available(name):
    return os.path.exists(os.path.join(MODULE_DIR, f"mod_{name}.so"))


def make_world_readable(path):
    """httpd's children run as www-data: the tree and its parents must be
    traversable by them."""
    while path and path != "/":
        mode = os.stat(path).st_mode
        os.chmod(path, mode | 0o755)
        path = os.path.dirname(path)


LOG_LEVEL_RE = re.compile(r"\[[\w_]*:(emerg|alert|crit|error|warn)\]")


class Httpd:
    """One httpd instance. `body` is the config after the global part; it may
    use {root} and the ports this instance was given."""

    def __init__(self, root, body, module=None, modules=None, ports=None,
                 log_level="info"):
        self.root = root
        self.module = module
        self.modules = list(modules or BASE_MODULES)
        self.body = body
        self.ports = ports or {}
        self.log_level = log_level
        self.conf = os.path.join(root, "httpd.conf")
        self.error_log = os.path.join(root, "error.log")
        self._log_offset = 0
        os.makedirs(os.path.join(root, "htdocs"), exist_ok=True)
        make_world_readable(os.path.join(root, "htdocs"))

    def config_text(self):
        lines = [f"ServerRoot {self.root}",
                 f"PidFile {self.root}/httpd.pid",
                 f"DefaultRuntimeDir {self.root}",
                 f"Mutex file:{self.root} default",
                 f"ErrorLog {self.root}/error.log",
                 f"LogLevel {self.log_level}",
                 f"User {RUN_USER}", f"Group {RUN_USER}",
                 "ServerName localhost",
                 "TypesConfig /etc/mime.types",
                 "Timeout 10",
                 "KeepAliveTimeout 5"]
        for name in self.modules:
            lines.append(f"LoadModule {name}_module {MODULE_DIR}/mod_{name}.so")
        if self.module:
            lines.append(f"LoadModule provauth_module {self.module}")
        lines += [f"DocumentRoot {self.root}/htdocs",
                  'LogFormat "%h %{PROVAUTH_STATUS}e %s %r" provauth',
                  f"CustomLog {self.root}/access.log provauth"]
        if "ssl" in self.modules:
            lines.append(f"SSLSessionCache shmcb:{self.root}/ssl_scache(512000)")
        return "\n".join(lines) + "\n" + self.body.format(root=self.root, **self.ports)

    def write_config(self):
        with open(self.conf, "w") as out:
            out.write(self.config_text())

    def configtest(self):
        self.write_config()
        return subprocess.run([APACHE2, "-t", "-f", self.conf], capture_output=True,
                              text=True)

    def start(self):
        self.write_config()
        started_before = self.read_log().count("resuming normal operations")
        result = subprocess.run([APACHE2, "-f", self.conf, "-k", "start"],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"apache2 failed to start: {result.stdout}{result.stderr}"
                               f"\n{self.read_log()}")
        deadline = time.time() + 15
        while time.time() < deadline:
            # listening, and past the second configuration pass
            if (self.read_log().count("resuming normal operations") > started_before
                    and all(self._listening(port) for port in self.ports.values())):
                return
            time.sleep(0.05)
        raise RuntimeError(f"apache2 did not listen on {self.ports}:\n{self.read_log()}")

    def stop(self):
        subprocess.run([APACHE2, "-f", self.conf, "-k", "stop"], capture_output=True)
        pidfile = os.path.join(self.root, "httpd.pid")
        deadline = time.time() + 15
        while os.path.exists(pidfile) and time.time() < deadline:
            time.sleep(0.1)

    @staticmethod
    def _listening(port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    def settle(self, quiet=0.1, limit=3.0):
        """Wait until the access log has been quiet for `quiet` seconds:
        denials are logged after the response, with the access log line."""
        path = os.path.join(self.root, "access.log")
        deadline = time.time() + limit
        last = None
        while time.time() < deadline:
            size = os.path.getsize(path) if os.path.exists(path) else 0
            if size == last:
                return
            last = size
            time.sleep(quiet)

    def read_log(self):
        try:
            with open(self.error_log, errors="replace") as log:
                return log.read()
        except FileNotFoundError:
            return ""

    def new_log_lines(self):
        """Error-log lines written since the last call."""
        text = self.read_log()
        new, self._log_offset = text[self._log_offset:], len(text)
        return new.splitlines()

    def problems(self, lines, allowed):
        """Lines at warn level or worse that no allowed pattern explains."""
        return [line for line in lines if LOG_LEVEL_RE.search(line)
                and not any(re.search(pattern, line) for pattern in allowed)]
