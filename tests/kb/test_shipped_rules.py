# ruff: noqa: E501 - the excerpts keep log lines whole, as tools print them.
"""The shipped rules, one test per kind of fault, on excerpts written for these tests.

Each excerpt is a realistic output of its kind with its own values, including
the traps the rules must survive: wrapped Go errors, translated messages, CI
gutters and a wrapper's FATAL line after the real cause.
"""

from __future__ import annotations

import pytest

from rca.diagnose import diagnose_excerpt, events_from_text
from rca.kb import KnowledgeBase, load_knowledge_base
from rca.kbcli import example_failures


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


RULE_CASES = {
    "dns-go-wrapped": ("network.dns", """
go: downloading example.org/queue v1.2.0
go: example.org/queue@v1.2.0: Get "https://mirror.example.io/example.org/queue/@v/v1.2.0.info": dial tcp: lookup mirror.example.io: no such host
"""),
    "dns-sandbox-refused-resolver": ("network.dns", """
error: builder for '/nix/store/abc-tool.drv' failed with exit code 1;
       > go: example.org/lib@v0.3.0: Get "https://proxy.example.org/example.org/lib/@v/v0.3.0.mod": dial tcp: lookup proxy.example.org on [::1]:53: read udp [::1]:50211->[::1]:53: read: connection refused
"""),
    "dns-apt-german": ("network.dns", """
Fehl:1 http://deb.example.org/debian bookworm InRelease
  Temporärer Fehlschlag beim Auflösen von »deb.example.org«
W: Fehlschlag beim Holen von http://deb.example.org/debian/dists/bookworm/InRelease
"""),
    "refused-go-dial-then-make": ("network.connection_refused", """
go: example.org/cfg@v2.0.1: Get "https://proxy.example.com/example.org/cfg/@v/v2.0.1.mod": dial tcp 203.0.113.50:443: connect: connection refused
make[2]: *** [Makefile:40: build] Error 1
    ERROR: package/feeds/extra/tool failed to build.
"""),
    "refused-windows-wording": ("network.connection_refused", """
2026/02/01 09:00:00 http: proxy error: dial tcp 127.0.0.1:7100: connectex: No connection could be made because the target machine actively refused it.
"""),
    "timeout-docker-step": ("network.timeout", """
Step 7/12 : RUN go mod download
 ---> Running in 4f2a9c1d
go: example.org/ring@v0.0.0-20240101000000-abcdef012345: Get "https://proxy.golang.org/example.org/ring/@v/v0.0.0-20240101000000-abcdef012345.mod": dial tcp 198.51.100.9:443: i/o timeout
"""),
    "timeout-windows-wording": ("network.timeout", """
main.go:4:2: example.org/ui@v1.1.0: Get "https://proxy.golang.org/example.org/ui/@v/v1.1.0.zip": dial tcp 198.51.100.7:443: connectex: A connection attempt failed because the connected party did not properly respond after a period of time, or established connection failed because connected host has failed to respond.
"""),
    "proxy-stale-local-with-chinese-git": ("network.proxy", """
list failed: Get http://api.example.cn/v1/files?dir=%2F: proxyconnect tcp: dial tcp 127.0.0.1:10809: connect: connection refused
bob@node-04:~/src/tool$ git fetch
fatal: unable to access 'https://git.example.cn/team/tool/': Failed to connect to 127.0.0.1 port 10809: 拒绝连接
"""),
    "proxy-eof": ("network.proxy", """
go: example.org/log: Get https://goproxy.example.net/example.org/log/@v/list: proxyconnect tcp: EOF
"""),
    "tls-before-fatal-wrapper": ("network.tls_untrusted", """
2026/03/04 08:10:00 [INFO] exec (timeout=0s): /usr/local/go/bin/go mod tidy
go: builder imports
	example.org/plugin: example.org/plugin@v0.4.0: verifying module: example.org/plugin@v0.4.0: Get "https://sum.golang.org/lookup/example.org/plugin@v0.4.0": tls: failed to verify certificate: x509: certificate signed by unknown authority
2026/03/04 08:10:01 [INFO] Cleaning up temporary folder
2026/03/04 08:10:01 [FATAL] exit status 1
"""),
    "proxy-forbidden-sumdb-410": ("go.proxy_forbidden", """
verifying example.org/mux@v1.8.0/go.mod: example.org/mux@v1.8.0/go.mod: reading https://mirror.example.io/sumdb/sum.golang.org/lookup/example.org/mux@v1.8.0: 410 Gone
"""),
    "proxy-forbidden-quotes-upstream-refused": ("go.proxy_forbidden", """
$ go mod tidy
go: example.org/app imports
        example.org/tls: example.org/tls@v0.9.0: verifying module: example.org/tls@v0.9.0: reading https://sum.golang.org/lookup/example.org/tls@v0.9.0: 404 Not Found
        server response:
        not found: example.org/tls@v0.9.0: invalid version: git ls-remote -q origin in /tmp/gopath/pkg/mod/cache/vcs/0f1e: exit status 128:
                fatal: unable to access 'https://git.example.org/tls/': Failed to connect to git.example.org port 443: Connection refused
"""),
    "checksum-security-error": ("go.checksum_mismatch", """
go: downloading example.org/codec v1.5.2
verifying example.org/codec@v1.5.2: checksum mismatch
	downloaded: h1:AAAAbbbbCCCCddddEEEEffffGGGGhhhhIIIIjjjjKKK=
	go.sum:     h1:ZZZZyyyyXXXXwwwwVVVVuuuuTTTTssssRRRRqqqqPPP=

SECURITY ERROR
This download does NOT match an earlier download recorded in go.sum.
"""),
    "old-go-note-after-compile-errors": ("go.version_too_old", """
# example.org/iter
pkg/mod/example.org/iter@v0.2.0/seq.go:12:9: syntax error: unexpected [, expecting (
pkg/mod/example.org/iter@v0.2.0/seq.go:30:2: missing function body
note: module requires Go 1.22
"""),
    "old-go-install-in-gopath-mode": ("go.version_too_old", """
$ go install example.org/cmd/tool@v1.4.0
package example.org/cmd/tool@v1.4.0: cannot use path@version syntax in GOPATH mode
"""),
    "old-go-install-needs-go-get": ("go.version_too_old", """
$ go install example.org/lint@latest
can't load package: package example.org/lint@latest: can only use path@version syntax with 'go get'
"""),
    "old-go-without-modules": ("go.version_too_old", """
$ go install example.org/cli@main
can't load package: package example.org/cli@main: cannot find package "example.org/cli@main" in any of:
	/usr/lib/go-1.9/src/example.org/cli@main (from $GOROOT)
"""),
    "old-go-three-part-version": ("go.version_too_old", """
go: errors parsing go.mod:
/srv/app/go.mod:3: invalid go version '1.22.3': must match format 1.23
make: *** [Makefile:5: app] Error 1
"""),
    "gopath-mode-go-run": ("go.gopath_mode", """
$ go run example.org/cmd/serve@v0.9.0
package example.org/cmd/serve@v0.9.0: cannot use path@version syntax in GOPATH mode
"""),
    "gopath-points-at-module": ("go.gopath_mode", """
$ go build ./...
$GOPATH/go.mod exists but should not
"""),
    "nested-module-package": ("go.module_not_found", """
$ go install example.org/kit/v3/cmd/kitgen@latest
go: downloading example.org/kit/v3 v3.2.0
go: example.org/kit/v3/cmd/kitgen@latest: module example.org/kit/v3@latest found (v3.2.0), but does not contain package example.org/kit/v3/cmd/kitgen
"""),
    "gopath-clone-of-missing-repository": ("go.module_not_found", """
go get example.org/team/tool/cmd
# cd .; git clone https://github.com/example-team/netx /home/bob/go/src/github.com/example-team/netx
Cloning into '/home/bob/go/src/github.com/example-team/netx'...
fatal: could not read Username for 'https://github.com': terminal prompts disabled
package github.com/example-team/netx/ws: exit status 128
"""),
    "private-module-prompt": ("go.private_module_auth", """
go: git.example.com/corp/billing@v1.0.3: invalid version: git ls-remote -q origin in /root/go/pkg/mod/cache/vcs/9a8b: exit status 128:
	fatal: could not read Username for 'https://git.example.com': terminal prompts disabled
Confirm the import path was entered correctly.
If this is a private repository, see https://golang.org/doc/faq#git_https for additional information.
"""),
    "denied-goroot": ("perm.denied", """
$ go install -race ./...
go install runtime/cgo: mkdir /usr/local/go/pkg/linux_amd64_race: permission denied
"""),
    "apt-not-root-is-not-lock": ("perm.denied", """
E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)
E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?
"""),
    "selinux-ausearch-block": ("perm.selinux_avc", """
----
time->Mon Mar  2 10:00:00 2026
type=PROCTITLE msg=audit(1772445600.100:512): proctitle=2F62696E2F7368
type=SYSCALL msg=audit(1772445600.100:512): arch=c000003e syscall=257 success=no exit=-13 a0=ffffff9c items=1 ppid=1 pid=812 comm="agent" exe="/opt/agent/bin/agent" key=(null)
type=AVC msg=audit(1772445600.100:512): avc:  denied  { open } for  pid=812 comm="agent" path="/srv/data/state.db" dev="dm-1" ino=9911 scontext=system_u:system_r:agent_t:s0 tcontext=unconfined_u:object_r:default_t:s0 tclass=file permissive=0
"""),
    "selinux-user-avc": ("perm.selinux_avc", """
type=USER_AVC msg=audit(1772445700.200:600): pid=1 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:init_t:s0 msg='avc:  denied  { stop } for auid=1000 uid=0 gid=0 path="/etc/systemd/system/agent.service" cmdline="systemctl stop agent" scontext=staff_u:staff_r:staff_t:s0 tcontext=system_u:object_r:systemd_unit_file_t:s0 tclass=service exe="/usr/lib/systemd/systemd" sauid=0 hostname=? addr=? terminal=?'
"""),
    "apparmor-dmesg": ("perm.apparmor_denied", """
[ 1200.300400] audit: type=1400 audit(1772445800.300:41): apparmor="DENIED" operation="exec" profile="/usr/bin/agent" name="/usr/bin/cc" pid=7001 comm="agent" requested_mask="x" denied_mask="x" fsuid=0 ouid=0
"""),
    "apparmor-grep-prefix": ("perm.apparmor_denied", """
/var/log/kern.log:Mar  2 10:05:00 node-05 kernel: [ 900.100200] type=1400 audit(1772445900.100:42): apparmor="DENIED" operation="open" profile="/usr/sbin/agentd" name="/etc/agent/secret.key" pid=311 comm="agentd" requested_mask="r" denied_mask="r" fsuid=0 ouid=0
"""),
    "ptrace-wrapped-gdb": ("perm.ptrace_scope", """
Attaching to process 5120
Could not attach to process.  If your uid matches the uid of the
target process, check the setting of /proc/sys/kernel/yama/ptrace_scope
ptrace: Operation not permitted.
"""),
    "disk-full-apt-errno": ("disk.full", """
E: Write error - write (28: No space left on device)
E: The package lists or status file could not be parsed or opened.
"""),
    "disk-full-outranks-dpkg-listed-first": ("disk.full", """
dpkg: error processing archive /var/cache/apt/archives/big_1.0_amd64.deb (--unpack):
 cannot copy extracted data for './usr/lib/big/data.bin' to '/usr/lib/big/data.bin.dpkg-new': failed to write (No space left on device)
E: Sub-process /usr/bin/dpkg returned an error code (1)
"""),
    "lock-held-ci-gutter": ("apt.lock_held", """
Run sudo apt-get install -y clang
E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1873 (apt-get)
E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?
Error: Process completed with exit code 100.
"""),
    "gpg-key-third-party-repo": ("apt.gpg_key", """
Get:4 https://apt.example.com/stable stable InRelease [3,110 B]
Err:4 https://apt.example.com/stable stable InRelease
  The following signatures couldn't be verified because the public key is not available: NO_PUBKEY 7A1B2C3D4E5F6071
W: GPG error: https://apt.example.com/stable stable InRelease: The following signatures couldn't be verified because the public key is not available: NO_PUBKEY 7A1B2C3D4E5F6071
"""),
    "package-missing-german": ("apt.package_not_found", """
Paket agent-plugin-extra ist nicht verfügbar, wird aber von einem anderen Paket
referenziert.
E: Für Paket »agent-plugin-extra« existiert kein Installationskandidat.
"""),
    "dpkg-postinst-cascade": ("apt.dpkg_failed", """
Setting up agent-db (3.1-2) ...
dpkg: error processing package agent-db (--configure):
 installed agent-db package post-installation script subprocess returned error exit status 4
dpkg: dependency problems prevent configuration of agent-web:
 agent-web depends on agent-db; however:
  Package agent-db is not configured yet.
Errors were encountered while processing:
 agent-db
E: Sub-process /usr/bin/dpkg returned an error code (1)
"""),
    "dpkg-statoverride-eperm-is-not-permissions": ("apt.dpkg_failed", """
dpkg-statoverride: error: error creating new backup file '/var/lib/dpkg/statoverride-old': Operation not permitted
dpkg: error processing package agent-bus (--configure):
"""),
    "exec-format-chinese": ("binary.exec_format", """
bob@node-06:~$ ./agent-linux-amd64
bash: ./agent-linux-amd64: 无法执行二进制文件: 可执行文件格式错误
"""),
    "exec-format-mislabelled": ("binary.exec_format", """
root@node-07:~# ./tool-linux-arm64
-bash: ./tool-linux-arm64: cannot execute binary file: Exec format error
root@node-07:~# file ./tool-linux-arm64
./tool-linux-arm64: ELF 64-bit LSB executable, x86-64, version 1 (SYSV), statically linked, stripped
"""),
    "corrupt-html-saved-as-tarball": ("binary.corrupt", """
$ tar xzf tool-2.0.tar.gz

gzip: stdin: not in gzip format
tar: Child returned status 1
tar: Error is not recoverable: exiting now
"""),
    "corrupt-shared-library": ("binary.corrupt", """
./agent: error while loading shared libraries: libagent_gpu.so: ELF load command past end of file
"""),
    "oom-compile-killed": ("proc.oom_killed", """
$ go build ./...
go build example.org/big/gen: /usr/local/go/pkg/tool/linux_amd64/compile: signal: killed
"""),
    "oom-kernel-line-after": ("proc.oom_killed", """
go build example.org/big: /usr/lib/go/pkg/tool/linux_arm64/link: signal: killed
[40100.200300] Out of memory: Killed process 9001 (link) total-vm:912000kB, anon-rss:880000kB, file-rss:0kB
"""),
    "unit-spawn-enoent": ("systemd.unit_failed", """
Mar 02 10:00:00 node-08 systemd[1]: agent-sync.service: Failed to execute command: No such file or directory
Mar 02 10:00:00 node-08 systemd[1]: agent-sync.service: Failed at step EXEC spawning /usr/local/bin/agent-sync: No such file or directory
-- Subject: Process /usr/local/bin/agent-sync could not be executed
"""),
    "unit-status-with-debug-noise": ("systemd.unit_failed", """
Sent message type=method_call sender=n/a destination=org.freedesktop.systemd1 object=/org/freedesktop/systemd1/unit/agent_2eservice interface=org.freedesktop.DBus.Properties member=GetAll cookie=1 reply_cookie=0 error=n/a
● agent.service - Agent
   Loaded: loaded (/etc/systemd/system/agent.service; enabled)
   Active: failed (Result: exit-code) since Di 2026-03-03 10:00:00 UTC; 2min ago
 Main PID: 4410 (code=exited, status=203/EXEC)
"""),
}


@pytest.mark.parametrize(("cause", "excerpt"), list(RULE_CASES.values()), ids=list(RULE_CASES))
def test_rules_name_the_cause(kb: KnowledgeBase, cause: str, excerpt: str) -> None:
    diagnosis = diagnose_excerpt(events_from_text(excerpt.strip("\n")), kb, classifier=False)

    assert diagnosis.cause == cause
    assert diagnosis.decided_by.startswith(f"rule:{cause}/")


UNKNOWN_CASES = {
    "python-http-410": """
Traceback (most recent call last):
  File "/srv/app/fetch.py", line 40, in fetch
    return urllib.request.urlopen(url).read()
  File "/usr/lib/python3.11/urllib/request.py", line 643, in http_error_default
    raise HTTPError(req.full_url, code, msg, hdrs, fp)
urllib.error.HTTPError: HTTP Error 410: Gone
""",
    "compile-type-error": """
# example.org/store/db
../store/db/conn.go:88:21: cannot use n (variable of type int64) as int value in argument to grow
make: *** [Makefile:9: all] Error 2
""",
    "ambiguous-import": """
example.org/app imports
	example.org/grpc/status: ambiguous import: found package example.org/grpc/status in multiple modules:
	example.org/grpc v1.2.0 (/home/bob/go/pkg/mod/example.org/grpc@v1.2.0/status)
""",
    "selinux-permissive-only": """
type=AVC msg=audit(1772446000.000:700): avc:  denied  { read } for  pid=10 comm="cat" name="x" scontext=a:b:c_t:s0 tcontext=d:e:f_t:s0 tclass=file permissive=1
""",
}


@pytest.mark.parametrize("excerpt", list(UNKNOWN_CASES.values()), ids=list(UNKNOWN_CASES))
def test_unexplained_errors_are_unknown(kb: KnowledgeBase, excerpt: str) -> None:
    diagnosis = diagnose_excerpt(events_from_text(excerpt.strip("\n")), kb)

    assert diagnosis.cause == "unknown"
    assert diagnosis.decided_by == "none"


def test_every_shipped_example_passes(kb: KnowledgeBase) -> None:
    assert [problem.render("en") for problem in example_failures(kb)] == []


def test_values_reach_the_fix(kb: KnowledgeBase) -> None:
    excerpt = "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 77 (apt)"
    diagnosis = diagnose_excerpt(events_from_text(excerpt), kb, classifier=False)

    text = kb.describe(diagnosis, "en")

    assert diagnosis.values["lock"] == "/var/lib/dpkg/lock-frontend"
    assert diagnosis.values["holder"] == "apt"
    assert "/var/lib/dpkg/lock-frontend" in text.fixes[0].text

