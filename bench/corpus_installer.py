r"""Installer runs: `go install` of Delve and `apt-get install` of build tools, with failures.

Each run becomes a list of `Line`s (level, step, extra fields, message).
`place_lines` spreads them over the run's time span, and `InstallerLog` writes
them in the canonical installer format. Each record is one line, and the
backslashes below only wrap them::

    2026-12-03T02:14:07.123Z INFO txn=run-000042 step=go-install \
        msg="go: downloading github.com/cilium/ebpf v0.11.0"
    2026-12-03T02:14:09.870Z ERROR txn=run-000042 step=go-install \
        msg="go: github.com/cilium/ebpf@v0.11.0: Get \"https://proxy.golang.org/...\": \
        dial tcp 192.0.2.17:443: i/o timeout"
    2026-12-03T02:14:09.911Z FATAL txn=run-000042 step=finish exit=1 \
        msg="run failed: step go-install exited with status 1"

A failing run marks its first error line. Failures whose first error lives in
another log (an SELinux or AppArmor denial in audit.log, an OOM kill in the
journal) also return a `Context` that the node writer turns into those records.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field

from corpus_catalog import (
    APT_PACKAGES,
    APT_TARGETS,
    DELVE_VERSIONS,
    GO_MODULES,
    GO_PACKAGES,
    MIRRORS,
    PROXY_HOSTS,
    STDLIB_IMPORTS,
)
from corpus_files import IsoClock, RotatedLog
from corpus_plan import NodeInfo, RunPlan

LINE_OVERHEAD = 52
"""Bytes of a line besides step, extra fields and message: time, level, txn, keys, quotes."""

GO_TAIL_BYTES = 1_500
"""Bytes a successful Go run logs after its last compile block: link, install, verify, finish."""

GO_ARCHES = ("amd64", "arm64", "ppc64le", "s390x", "riscv64", "loong64", "386", "mips64le")


@dataclass(slots=True)
class Line:
    """One installer record before it has a time. `extra` is rendered ``key=value`` text."""

    level: str
    step: str
    msg: str
    extra: str = ""
    first_error: bool = False


@dataclass(slots=True)
class Context:
    """Records in another log that belong to a failure, placed relative to its first error.

    `kind` is ``avc`` (SELinux denial), ``apparmor`` (AppArmor denial), ``oom``
    (kernel OOM kill in the journal) or ``apt-daily`` (the apt timer that holds
    the dpkg lock, in the journal). For ``avc``, ``apparmor`` and ``oom`` the
    context record is the run's true first error.
    """

    kind: str
    values: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Part:
    """The lines one node logs for a run between two true times (POSIX milliseconds)."""

    lines: list[Line]
    start_ms: int
    end_ms: int
    context: Context | None = None


def quote(value: str) -> str:
    """Write a logfmt value, quoted if it contains a space, a quote or an equals sign."""
    if value and " " not in value and '"' not in value and "=" not in value \
            and "\\" not in value and "\t" not in value:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class InstallerLog:
    """Writer of one node's installer lines, timed on the node's clock."""

    def __init__(self, log: RotatedLog, offset_ms: int) -> None:
        self._log = log
        self._offset = offset_ms
        self._clock = IsoClock()

    def write(self, txn: str, line: Line, true_ms: int) -> tuple[int, str]:
        """Write one line and return its time on the node's clock and its text."""
        ms = true_ms + self._offset
        text = (f"{self._clock.format(ms)} {line.level} txn={txn} step={line.step}"
                f"{line.extra} msg={quote(line.msg)}")
        self._log.write(text, ms)
        return ms, text


def place_lines(lines: list[Line], start_ms: int, end_ms: int,
                rng: random.Random) -> list[int]:
    """Give every line a true time: spread from `start_ms` to `end_ms`, a burst after an error.

    The lines before the first error are spread over the span with random gaps,
    and the first error falls at `end_ms`. The lines after it (the rest of the
    command's standard error, the step's exit, "run failed") follow within
    milliseconds, as a failing command prints them.
    """
    first = next((index for index, line in enumerate(lines) if line.first_error), None)
    spread = len(lines) if first is None else first + 1
    times: list[int] = []
    if spread:
        gaps = [rng.random() + 0.05 for _ in range(spread)]
        gaps[0] = 0.0
        total = sum(gaps) or 1.0
        span = max(end_ms - start_ms, 0)
        elapsed = 0.0
        for gap in gaps:
            elapsed += gap
            times.append(start_ms + int(span * elapsed / total))
    now = times[-1] if times else start_ms
    for _ in range(spread, len(lines)):
        now += rng.randrange(1, 150)
        times.append(now)
    return times


def line_bytes(line: Line) -> int:
    return len(line.msg) + len(line.step) + len(line.extra) + LINE_OVERHEAD


@dataclass(slots=True)
class RunText:
    """Values a run's lines share on every node: versions, hosts, artifact size."""

    delve: str
    go_version: str
    proxy: str
    gobin: str
    artifact_mb: float
    apt_target: tuple[str, str]
    mirror: tuple[str, str, str]
    failure_variant: float

    @classmethod
    def draw(cls, run: RunPlan, origin: NodeInfo, build_node: NodeInfo) -> RunText:
        """Draw the shared values from the run's seed. `build_node` is the node that builds."""
        shared = random.Random(run.seed)
        delve = shared.choice(DELVE_VERSIONS)
        go_version = build_node.go_version
        if run.cause == "go.version_too_old":
            delve, go_version = "1.24.0", "1.21.13"
        gobin = "/root/go/bin"
        if run.cause in ("perm.selinux_avc", "perm.apparmor_denied"):
            gobin = "/opt/tools/bin"
        elif run.cause == "perm.denied":
            gobin = "/usr/local/bin"
        proxy = PROXY_HOSTS[1] if origin.index % 5 == 4 else PROXY_HOSTS[0]
        return cls(delve=delve, go_version=go_version, proxy=proxy, gobin=gobin,
                   artifact_mb=round(shared.uniform(17.0, 21.0), 1),
                   apt_target=shared.choice(APT_TARGETS), mirror=MIRRORS[origin.distro],
                   failure_variant=shared.random())


class RunBuilder:
    """Lines of one run part, with a count of their approximate bytes."""

    def __init__(self, rng: random.Random, text: RunText, budget: int) -> None:
        self.rng = rng
        self.text = text
        self.budget = budget
        self.lines: list[Line] = []
        self.size = 0
        self.context: Context | None = None

    def add(self, level: str, step: str, msg: str, extra: str = "",
            first_error: bool = False) -> None:
        line = Line(level, step, msg, extra, first_error)
        self.lines.append(line)
        self.size += line_bytes(line)

    def left(self) -> int:
        return self.budget - self.size

    def hex(self, digits: int) -> str:
        return f"{self.rng.getrandbits(digits * 4):0{digits}x}"

    def fail(self, step: str, messages: list[str], exit_code: int, cmd: str) -> None:
        """Log the command's error output, the first line marked, then the step's exit."""
        for index, message in enumerate(messages):
            self.add("ERROR", step, message, first_error=index == 0)
        self.add("ERROR", step, f"command failed with exit status {exit_code}",
                 f" exit={exit_code} cmd={quote(cmd)}")


# Go runs ---------------------------------------------------------------------------------

def go_install_cmd(text: RunText, arch: str = "amd64") -> str:
    prefix = "" if arch == "amd64" else f"GOARCH={arch} "
    return f"{prefix}go install -x github.com/go-delve/delve/cmd/dlv@v{text.delve}"


def go_preflight(builder: RunBuilder) -> None:
    text = builder.text
    builder.add("INFO", "preflight", f"go version go{text.go_version} linux/amd64",
                ' cmd="go version"')
    env_cmd = ' cmd="go env GOPATH GOBIN GOPROXY GOFLAGS"'
    for value in ("/root/go", text.gobin, f"https://{text.proxy},direct", "-mod=mod"):
        builder.add("INFO", "preflight", value, env_cmd)
    used = builder.rng.randrange(20, 80)
    builder.add("INFO", "preflight", "Filesystem      Size  Used Avail Use% Mounted on",
                ' cmd="df -h /root/go"')
    builder.add("INFO", "preflight",
                f"/dev/vda1        50G   {used // 2}G   {50 - used // 2}G  {used}% /",
                ' cmd="df -h /root/go"')


def go_build(builder: RunBuilder, cause: str) -> bool:
    """Add the lines of `go install -x` up to the budget. Return False if the run failed."""
    text = builder.text
    rng = builder.rng
    step = "go-install"
    cmd = go_install_cmd(text)
    builder.add("INFO", step, "command started", f" cmd={quote(cmd)}")

    if cause == "go.version_too_old":
        builder.fail(step, _version_too_old(text), 1, cmd)
        return False

    download_causes = ("network.timeout", "network.dns", "network.tls_untrusted",
                       "go.checksum_mismatch")
    disk_at_download = cause == "disk.full" and text.failure_variant < 0.5
    if cause in download_causes or disk_at_download or rng.random() < 0.4:
        failing_at = rng.randrange(1, len(GO_MODULES)) if cause else -1
        for index, (module, version) in enumerate(GO_MODULES):
            version = version.format(delve=text.delve)
            builder.add("INFO", step, f"go: downloading {module} {version}")
            url = f"https://{text.proxy}/{module}/@v/{version}.zip"
            builder.add("DEBUG", step, f"# get {url}")
            if index == failing_at and (cause in download_causes or disk_at_download):
                builder.fail(step, _download_failure(builder, cause, module, version, url),
                             1, cmd)
                return False
            builder.add("DEBUG", step,
                        f"# get {url}: 200 OK ({rng.uniform(0.02, 0.9):.3f}s)")

    work = f"/tmp/go-build{rng.randrange(10**9, 10**10)}"
    builder.add("DEBUG", step, f"WORK={work}")
    fail_at = 0
    if cause == "proc.oom_killed" or (cause == "disk.full" and not disk_at_download):
        fail_at = max(builder.size + 1, int(builder.budget * rng.uniform(0.3, 0.9)))
    if not _compile_until_budget(builder, step, work, fail_at, cause, cmd):
        return False

    if cause in ("perm.selinux_avc", "perm.apparmor_denied", "perm.denied"):
        builder.fail(step, _copy_denied(text, work), 1, cmd)
        if cause != "perm.denied":
            builder.context = Context("avc" if cause == "perm.selinux_avc" else "apparmor",
                                      {"dir": text.gobin, "cmd": cmd})
        return False
    builder.add("DEBUG", step, f"mkdir -p {text.gobin}/")
    builder.add("DEBUG", step, f"mv $WORK/b001/exe/a.out {text.gobin}/dlv")
    builder.add("DEBUG", step, "rm -rf $WORK/b001/")
    builder.add("INFO", step, f"command finished in {rng.uniform(25, 140):.1f}s",
                f" exit=0 cmd={quote(cmd)}")
    return True


def _compile_until_budget(builder: RunBuilder, step: str, work: str, fail_at: int, cause: str,
                          cmd: str) -> bool:
    """Compile packages, then other GOARCH targets, until the byte budget is used.

    With `fail_at` above zero the build fails once that many bytes are logged,
    with the error of `cause`. Return False if it failed.
    """
    for round_index in itertools.count():
        arch = GO_ARCHES[round_index % len(GO_ARCHES)]
        if round_index:
            builder.add("INFO", step, "command started",
                        f" cmd={quote(go_install_cmd(builder.text, arch))}")
        # A warm build cache skips packages, so a small budget compiles only a few.
        for number, package in enumerate(GO_PACKAGES, start=2):
            if fail_at and builder.size >= fail_at:
                _build_failure(builder, step, cause, package[0], work, number, cmd)
                return False
            if not fail_at and builder.left() <= GO_TAIL_BYTES:
                break
            _compile_block(builder, step, package, number, builder.text.go_version, arch)
        _link_block(builder, step)
        if not fail_at and builder.left() < GO_TAIL_BYTES + 500:
            return True
    raise AssertionError("unreachable: itertools.count() does not end")


def _compile_block(builder: RunBuilder, step: str, package: tuple[str, str, str, tuple[str, ...]],
                   number: int, go_version: str, arch: str) -> None:
    rng = builder.rng
    import_path, module, directory, files = package
    work_dir = f"$WORK/b{number:03d}"
    builder.add("DEBUG", step, f"mkdir -p {work_dir}/")
    builder.add("DEBUG", step, f"cat >{work_dir}/importcfg << 'EOF' # internal")
    builder.add("DEBUG", step, "# import config")
    for dependency in rng.sample(STDLIB_IMPORTS, rng.randrange(3, 10)):
        digest = builder.hex(64)
        builder.add("DEBUG", step,
                    f"packagefile {dependency}=/root/.cache/go-build/{digest[:2]}/{digest}-d")
    builder.add("DEBUG", step, "EOF")
    version = next(version for name, version in GO_MODULES if name == module)
    location = f"/root/go/pkg/mod/{module}@{version.format(delve=builder.text.delve)}"
    builder.add("DEBUG", step, f"cd {location}/{directory}".rstrip("/"))
    build_id = f"{builder.hex(20)}/{builder.hex(20)}"
    sources = " ".join(f"./{name}.go" for name in files)
    tool = f"/usr/local/go/pkg/tool/linux_{arch}"
    builder.add("DEBUG", step,
                f'{tool}/compile -o {work_dir}/_pkg_.a -trimpath "{work_dir}=>" -p {import_path} '
                f"-lang=go1.21 -complete -buildid {build_id} -goversion go{go_version} -c=2 "
                f"-nolocalimports -importcfg {work_dir}/importcfg -pack {sources}")
    builder.add("DEBUG", step, f"{tool}/buildid -w {work_dir}/_pkg_.a # internal")
    digest = builder.hex(64)
    builder.add("DEBUG", step,
                f"cp {work_dir}/_pkg_.a /root/.cache/go-build/{digest[:2]}/{digest}-d # internal")


def _link_block(builder: RunBuilder, step: str) -> None:
    build_id = "/".join(builder.hex(20) for _ in range(4))
    builder.add("DEBUG", step, "mkdir -p $WORK/b001/exe/")
    builder.add("DEBUG", step, "cd .")
    builder.add("DEBUG", step,
                "/usr/local/go/pkg/tool/linux_amd64/link -o $WORK/b001/exe/a.out -importcfg "
                f"$WORK/b001/importcfg.link -buildmode=exe -buildid={build_id} -extld=gcc "
                "$WORK/b001/_pkg_.a")
    builder.add("DEBUG", step, "/usr/local/go/pkg/tool/linux_amd64/buildid -w "
                "$WORK/b001/exe/a.out # internal")


def go_verify(builder: RunBuilder, step: str = "verify", binary: str = "") -> None:
    text = builder.text
    path = binary or f"{text.gobin}/dlv"
    cmd = f' cmd="{path} version"'
    builder.add("INFO", step, "Delve Debugger", cmd)
    builder.add("INFO", step, f"Version: {text.delve}", cmd)
    builder.add("INFO", step, f"Build: $Id: {builder.hex(40)} $", cmd)


# Go failure texts ------------------------------------------------------------------------

def _version_too_old(text: RunText) -> list[str]:
    if text.failure_variant < 0.5:
        return [f"go: github.com/go-delve/delve@v{text.delve} requires go >= 1.22 "
                f"(running go {text.go_version}; GOTOOLCHAIN=local)"]
    return [f"go: go.mod requires go >= 1.22 (running go {text.go_version}; "
            "GOTOOLCHAIN=local)"]


def _download_failure(builder: RunBuilder, cause: str, module: str, version: str,
                      url: str) -> list[str]:
    rng = builder.rng
    text = builder.text
    prefix = f'go: {module}@{version}: Get "{url}"'
    address = f"192.0.2.{rng.randrange(2, 250)}"
    if cause == "network.timeout":
        if text.failure_variant < 0.25:
            return [f"{prefix}: net/http: TLS handshake timeout"]
        return [f"{prefix}: dial tcp {address}:443: i/o timeout"]
    if cause == "network.dns":
        resolver = "127.0.0.53:53" if text.failure_variant < 0.6 else "192.0.2.53:53"
        return [f"{prefix}: dial tcp: lookup {text.proxy} on {resolver}: no such host"]
    if cause == "network.tls_untrusted":
        return [f"{prefix}: tls: failed to verify certificate: x509: certificate signed by "
                "unknown authority"]
    if cause == "disk.full":
        temp = f"{rng.randrange(10**8, 10**9)}.tmp"
        return [f"go: {module}@{version}: write /root/go/pkg/mod/cache/download/{module}/@v/"
                f"{version}.zip{temp}: no space left on device"]
    downloaded = _h1(rng)
    return [
        f"go: {module}@{version}: verifying module: checksum mismatch",
        f"\tdownloaded: h1:{downloaded}",
        f"\tsum.golang.org: h1:{_h1(rng)}",
        "SECURITY ERROR",
        "This download does NOT match the one reported by the checksum server.",
        "The bits may have been replaced on the origin server, or an attacker may",
        "have intercepted the download attempt.",
        "For more information, see 'go help module-auth'.",
    ]


def _h1(rng: random.Random) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return "".join(rng.choice(alphabet) for _ in range(43)) + "="


def _build_failure(builder: RunBuilder, step: str, cause: str, package: str, work: str,
                   number: int, cmd: str) -> None:
    if cause == "proc.oom_killed":
        builder.fail(step, [f"go build {package}: /usr/local/go/pkg/tool/linux_amd64/compile: "
                            "signal: killed"], 1, cmd)
        builder.context = Context("oom", {"package": package})
        return
    builder.fail(step, [f"go build {package}: compile: writing output: write "
                        f"{work}/b{number:03d}/_pkg_.a: no space left on device"], 1, cmd)


def _copy_denied(text: RunText, work: str) -> list[str]:
    return [f"go build github.com/go-delve/delve/cmd/dlv: copying {work}/b001/exe/a.out: "
            f"open {text.gobin}/dlv: permission denied"]


# apt runs --------------------------------------------------------------------------------

def apt_update(builder: RunBuilder) -> None:
    url, suite, _host = builder.text.mirror
    cmd = ' cmd="apt-get update"'
    security = ("http://security.debian.org/debian-security" if suite == "bookworm"
                else "http://security.ubuntu.com/ubuntu")
    rng = builder.rng
    builder.add("INFO", "apt-update", f"Hit:1 {url} {suite} InRelease", cmd)
    builder.add("INFO", "apt-update",
                f"Get:2 {url} {suite}-updates InRelease [{rng.uniform(50, 130):.1f} kB]", cmd)
    builder.add("INFO", "apt-update",
                f"Get:3 {security} {suite}-security InRelease [{rng.uniform(48, 130):.1f} kB]",
                cmd)
    size = rng.randrange(80, 900)
    builder.add("INFO", "apt-update",
                f"Get:4 {security} {suite}-security/main amd64 Packages [{size} kB]", cmd)
    builder.add("INFO", "apt-update",
                f"Fetched {size + 150} kB in {rng.randrange(1, 4)}s "
                f"({rng.randrange(200, 2000)} kB/s)", cmd)
    builder.add("INFO", "apt-update", "Reading package lists...", cmd)


def apt_install(builder: RunBuilder, cause: str) -> bool:
    """Add the lines of `apt-get install` up to the budget. Return False if it failed."""
    rng = builder.rng
    target, arguments = builder.text.apt_target
    command = f"apt-get install -y --no-install-recommends {arguments}"
    cmd = f" cmd={quote(command)}"
    step = "apt-install"
    builder.add("INFO", step, "command started", cmd)
    if cause == "apt.lock_held":
        builder.context = Context("apt-daily", {})
        builder.fail(step, [
            "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process "
            f"{rng.randrange(900, 9000)} (unattended-upgr)",
            "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), "
            "is another process using it?"], 100, command)
        return False
    for message in ("Reading package lists...", "Building dependency tree...",
                    "Reading state information..."):
        builder.add("INFO", step, message, cmd)
    if cause == "apt.package_not_found":
        missing = "golang-1.23-go" if builder.text.failure_variant < 0.6 else "build-essentials"
        builder.fail(step, [f"E: Unable to locate package {missing}"], 100, command)
        return False

    packages = _choose_packages(builder, target, len(cmd))
    names = [name for name, _version, _size in packages]
    builder.add("INFO", step, "The following NEW packages will be installed:", cmd)
    for start in range(0, len(names), 6):
        builder.add("INFO", step, "  " + " ".join(names[start:start + 6]), cmd)
    total_kb = sum(size for _name, _version, size in packages)
    builder.add("INFO", step, f"0 upgraded, {len(names)} newly installed, 0 to remove and "
                f"{rng.randrange(0, 40)} not upgraded.", cmd)
    builder.add("INFO", step, f"Need to get {total_kb / 1000:.1f} MB of archives.", cmd)
    builder.add("INFO", step, f"After this operation, {total_kb * 3.8 / 1000:.0f} MB of "
                "additional disk space will be used.", cmd)
    if not _apt_fetch(builder, step, cmd, command, packages, cause):
        return False
    builder.add("WARN", step,
                "debconf: delaying package configuration, since apt-utils is not installed", cmd)
    _apt_unpack(builder, step, cmd, packages)
    return _apt_configure(builder, step, cmd, command, packages, cause)


def _choose_packages(builder: RunBuilder, target: str,
                     extra_bytes: int) -> list[tuple[str, str, int]]:
    """Pick as many packages as fit the budget, always ending with the target package.

    Each package costs five lines (fetch, select, prepare, unpack, set up) and
    the rest of the run about twelve more, all carrying the `cmd` field.
    """
    line = LINE_OVERHEAD + len("apt-install") + extra_bytes + 40
    fitting = max(1, (builder.left() - 12 * line) // (5 * line))
    chosen: list[tuple[str, str, int]] = []
    index = builder.rng.randrange(len(APT_PACKAGES))
    while len(chosen) < fitting:
        chosen.append(APT_PACKAGES[index % len(APT_PACKAGES)])
        index += 1
    by_name = {name: (name, version, size) for name, version, size in APT_PACKAGES}
    if target in by_name:
        chosen[-1] = by_name[target]
    return chosen


def _deb_name(name: str, version: str) -> str:
    return f"{name}_{version.split(':')[-1]}_amd64.deb"


def _pool_url(builder: RunBuilder, name: str, version: str) -> str:
    url = builder.text.mirror[0]
    if builder.text.failure_variant >= 0.7 and name:
        url = "https://apt.internal.example.com/debian"
    prefix = name[:4] if name.startswith("lib") else name[0]
    return f"{url}/pool/main/{prefix}/{name}/{_deb_name(name, version)}"


def _apt_fetch(builder: RunBuilder, step: str, cmd: str, command: str,
               packages: list[tuple[str, str, int]], cause: str) -> bool:
    rng = builder.rng
    url, suite, host = builder.text.mirror
    network = ("network.timeout", "network.dns", "network.tls_untrusted", "disk.full")
    failing_at = rng.randrange(len(packages)) if cause in network else -1
    for index, (name, version, size) in enumerate(packages, start=1):
        if index - 1 == failing_at:
            builder.fail(step, _apt_fetch_failure(builder, cause, name, version, host), 100,
                         command)
            return False
        builder.add("INFO", step, f"Get:{index} {url} {suite}/main amd64 {name} amd64 "
                    f"{version} [{size} kB]", cmd)
    total = sum(size for _name, _version, size in packages)
    seconds = max(1, total // rng.randrange(4_000, 40_000))
    builder.add("INFO", step, f"Fetched {total} kB in {seconds}s ({total // seconds} kB/s)", cmd)
    return True


def _apt_fetch_failure(builder: RunBuilder, cause: str, name: str, version: str,
                       host: str) -> list[str]:
    rng = builder.rng
    address = f"192.0.2.{rng.randrange(2, 250)}"
    if cause == "disk.full":
        return ["E: Write error - write (28: No space left on device)"]
    if cause == "network.tls_untrusted":
        url = _pool_url(builder, name, version).replace(builder.text.mirror[0],
                                                        "https://apt.internal.example.com/debian")
        return [f"E: Failed to fetch {url}  Certificate verification failed: The certificate "
                "is NOT trusted. The certificate issuer is unknown.  Could not handshake: "
                f"Error in the certificate verification. [IP: {address} 443]"]
    url = _pool_url(builder, name, version).replace("https://apt.internal.example.com/debian",
                                                    builder.text.mirror[0])
    if cause == "network.dns":
        reason = f"Temporary failure resolving '{host}'"
    else:
        reason = f"Could not connect to {host}:80 ({address}), connection timed out " \
                 f"[IP: {address} 80]"
    return [f"E: Failed to fetch {url}  {reason}",
            "E: Unable to fetch some archives, maybe run apt-get update or try with "
            "--fix-missing?"]


def _apt_unpack(builder: RunBuilder, step: str, cmd: str,
                packages: list[tuple[str, str, int]]) -> None:
    files = builder.rng.randrange(18_000, 60_000)
    builder.add("INFO", step, f"(Reading database ... {files} files and directories currently "
                "installed.)", cmd)
    for index, (name, version, _size) in enumerate(packages, start=1):
        builder.add("INFO", step, f"Selecting previously unselected package {name}.", cmd)
        builder.add("INFO", step, f"Preparing to unpack .../{index:02d}-"
                    f"{_deb_name(name, version)} ...", cmd)
        builder.add("INFO", step, f"Unpacking {name} ({version}) ...", cmd)


def _apt_configure(builder: RunBuilder, step: str, cmd: str, command: str,
                   packages: list[tuple[str, str, int]], cause: str) -> bool:
    failing = len(packages) - 1 if cause == "apt.dpkg_failed" else -1
    for index, (name, version, _size) in enumerate(packages):
        builder.add("INFO", step, f"Setting up {name} ({version}) ...", cmd)
        if index == failing:
            builder.fail(step, [
                f"dpkg: error processing package {name} (--configure):",
                f" installed {name} package post-installation script subprocess returned "
                "error exit status 1",
                "Errors were encountered while processing:",
                f" {name}",
                "E: Sub-process /usr/bin/dpkg returned an error code (1)"], 100, command)
            return False
        if name.startswith("golang-1.21-go"):
            builder.add("INFO", step, "update-alternatives: using /usr/lib/go-1.21/bin/go to "
                        "provide /usr/bin/go (go) in auto mode", cmd)
    builder.add("INFO", step, "Processing triggers for libc-bin (2.36-9+deb12u7) ...", cmd)
    builder.add("INFO", step, "Processing triggers for man-db (2.11.2-2) ...", cmd)
    builder.add("INFO", step, f"command finished in {builder.rng.uniform(8, 90):.1f}s",
                f" exit=0{cmd}")
    return True


def apt_verify(builder: RunBuilder) -> None:
    target = builder.text.apt_target[0]
    version = next((version for name, version, _size in APT_PACKAGES if name == target), "")
    builder.add("INFO", "verify", f"{target}\t{version}", f' cmd="dpkg-query -W {target}"')
