r"""The audit.log of a generated node: routine auditd RAW records, denials for failed runs.

Records follow auditd's RAW format; the records of one event share the
``msg=audit(SECONDS.MILLIS:SERIAL)`` stamp::

    type=USER_START msg=audit(1796263247.123:48211): pid=31877 uid=0 auid=1000 ses=42 \
        subj=unconfined msg='op=PAM:session_open grantors=pam_selinux,...,pam_unix \
        acct="alice" exe="/usr/sbin/sshd" hostname=192.0.2.23 addr=192.0.2.23 \
        terminal=ssh res=success'
    type=AVC msg=audit(1796263301.455:48230): avc:  denied  { write } for  pid=40211 \
        comm="go" name="bin" dev="vda1" ino=262214 \
        scontext=system_u:system_r:cloud_init_t:s0 tcontext=system_u:object_r:usr_t:s0 \
        tclass=dir permissive=0

(Each record is one line; the backslashes only wrap them here.)
"""

from __future__ import annotations

import random

from corpus_plan import NodeInfo
from corpus_streams import BackgroundStream, LineSink, QuietZones, WeightedChoice

UNSET = "4294967295"
USERS = (("alice", 1000), ("bob", 1001), ("deploy", 1002))
UNITS = ("apt-daily", "apt-daily-upgrade", "man-db", "logrotate", "systemd-tmpfiles-clean",
         "sysstat-collect", "fstrim", "e2scrub_all", "dpkg-db-backup", "phpsessionclean",
         "motd-news", "user-runtime-dir@1000", "user@1000")
EXECUTABLES = (
    ("/usr/bin/curl", "curl", ("curl", "-fsSL", "https://example.com/health")),
    ("/usr/bin/git", "git", ("git", "fetch", "--quiet", "origin")),
    ("/usr/bin/python3.11", "python3", ("/usr/bin/python3", "/usr/bin/unattended-upgrade")),
    ("/usr/bin/ls", "ls", ("ls", "-la", "/var/log")),
    ("/usr/bin/systemctl", "systemctl", ("systemctl", "is-active", "ssh.service")),
    ("/usr/bin/apt-config", "apt-config", ("apt-config", "shell", "StateDir", "Dir::State")),
)
PAM_SESSION = "pam_selinux,pam_loginuid,pam_keyinit,pam_limits,pam_systemd,pam_unix,pam_umask"


def hex_text(text: str) -> str:
    """Hex-encode a value the way the kernel writes untrusted strings (PROCTITLE, cmd)."""
    return text.encode().hex().upper()


class AuditStream(BackgroundStream):
    """Routine auditd records of one node, with failure-related denials injected."""

    def __init__(self, sink: LineSink, node: NodeInfo, rng: random.Random, budget: int,
                 start_ms: int, end_ms: int, quiet: QuietZones, noise_rate: float) -> None:
        super().__init__(sink, rng, budget, start_ms, end_ms, quiet, noise_rate)
        self.node = node
        self.serial = rng.randrange(2_000, 90_000)
        self.pid = rng.randrange(3_000, 30_000)
        self.session = rng.randrange(3, 400)
        self.selinux = node.security == "selinux"
        self.subject = ("system_u:system_r:{domain}:s0" if self.selinux else "unconfined")
        self._routine = WeightedChoice([3.0, 4.0, 2.0, 5.0, 6.0, 3.0])
        self._routines = (self._ssh_login, self._cron, self._sudo, self._service, self._exec,
                          self._file_watch)

    # Writing ------------------------------------------------------------------------------

    def event(self, ms: int, records: list[tuple[str, str]]) -> None:
        """Write the records of one event under one new serial."""
        self.serial += 1
        stamp = f"{ms // 1000}.{ms % 1000:03d}:{self.serial}"
        for record_type, body in records:
            line = f"type={record_type} msg=audit({stamp}): {body}"
            self.sink.write(line, ms)
            self.written += len(line) + 1

    def next_pid(self) -> int:
        self.pid += self.rng.randrange(1, 40)
        if self.pid > 4_000_000:
            self.pid = 3_000
        return self.pid

    def subj(self, domain: str) -> str:
        return self.subject.format(domain=domain)

    def user_record(self, pid: int, auid: str, ses: str, domain: str, inner: str) -> str:
        return f"pid={pid} uid=0 auid={auid} ses={ses} subj={self.subj(domain)} msg='{inner}'"

    # Routine events -----------------------------------------------------------------------

    def routine(self, ms: int) -> None:
        self._routines[self._routine.pick(self.rng)](ms)

    def _ssh_login(self, ms: int) -> None:
        rng = self.rng
        user, uid = rng.choice(USERS)
        pid = self.next_pid()
        address = f"192.0.2.{rng.randrange(2, 250)}"
        self.session += 1
        ses = str(self.session)
        where = f'exe="/usr/sbin/sshd" hostname={address} addr={address} terminal=ssh'
        domain = "sshd_t"
        self.event(ms, [("USER_ACCT", self.user_record(
            pid, UNSET, UNSET, domain, f'op=PAM:accounting grantors=pam_permit acct="{user}" '
            f'{where} res=success'))])
        self.event(ms, [("CRED_ACQ", self.user_record(
            pid, UNSET, UNSET, domain, f'op=PAM:setcred grantors=pam_permit acct="{user}" '
            f'{where} res=success'))])
        self.event(ms + 1, [("LOGIN", f"pid={pid} uid=0 subj={self.subj(domain)} "
                             f"old-auid={UNSET} auid={uid} tty=(none) old-ses={UNSET} "
                             f"ses={ses} res=1")])
        self.event(ms + 2, [("USER_START", self.user_record(
            pid, str(uid), ses, domain, f'op=PAM:session_open grantors={PAM_SESSION} '
            f'acct="{user}" {where} res=success'))])
        self.event(ms + 3, [("USER_LOGIN", self.user_record(
            pid, str(uid), ses, domain, f'op=login id={uid} exe="/usr/sbin/sshd" '
            f'hostname={address} addr={address} terminal=/dev/pts/0 res=success'))])

        def logout(end: int) -> None:
            self.event(end, [("USER_END", self.user_record(
                pid, str(uid), ses, domain, f'op=PAM:session_close grantors={PAM_SESSION} '
                f'acct="{user}" {where} res=success'))])
            self.event(end, [("CRED_DISP", self.user_record(
                pid, str(uid), ses, domain, f'op=PAM:setcred grantors=pam_permit '
                f'acct="{user}" {where} res=success'))])

        self.schedule(ms + rng.randrange(5_000, 1_800_000), logout)

    def _cron(self, ms: int) -> None:
        pid = self.next_pid()
        self.session += 1
        ses = str(self.session)
        where = 'exe="/usr/sbin/cron" hostname=? addr=? terminal=cron'
        domain = "crond_t"
        self.event(ms, [("CRED_ACQ", self.user_record(
            pid, UNSET, UNSET, domain,
            f'op=PAM:setcred grantors=pam_env,pam_permit acct="root" {where} res=success'))])
        self.event(ms, [("LOGIN", f"pid={pid} uid=0 subj={self.subj(domain)} old-auid={UNSET} "
                         f"auid=0 tty=(none) old-ses={UNSET} ses={ses} res=1")])
        self.event(ms + 1, [("USER_START", self.user_record(
            pid, "0", ses, domain, f'op=PAM:session_open grantors=pam_loginuid,pam_env,'
            f'pam_env,pam_permit,pam_unix,pam_limits acct="root" {where} res=success'))])
        self.event(ms + 1, [("CRED_REFR", self.user_record(
            pid, "0", ses, domain,
            f'op=PAM:setcred grantors=pam_env,pam_permit acct="root" {where} res=success'))])

        def close(end: int) -> None:
            self.event(end, [("CRED_DISP", self.user_record(
                pid, "0", ses, domain,
                f'op=PAM:setcred grantors=pam_env,pam_permit acct="root" {where} res=success'))])
            self.event(end, [("USER_END", self.user_record(
                pid, "0", ses, domain, f'op=PAM:session_close grantors=pam_loginuid,pam_env,'
                f'pam_env,pam_permit,pam_unix,pam_limits acct="root" {where} res=success'))])

        self.schedule(ms + self.rng.randrange(20, 4_000), close)

    def _sudo(self, ms: int) -> None:
        rng = self.rng
        user, uid = rng.choice(USERS)
        pid = self.next_pid()
        ses = str(self.session)
        command = rng.choice(("systemctl status ssh", "journalctl -u installer-agent -n 50",
                              "apt-get update", "tail -n 100 /var/log/installer.log"))
        where = 'exe="/usr/bin/sudo" hostname=? addr=? terminal=/dev/pts/0'
        domain = "unconfined_t"
        self.event(ms, [("USER_CMD", f"pid={pid} uid={uid} auid={uid} ses={ses} "
                         f"subj={self.subj(domain)} msg='cwd=\"/home/{user}\" "
                         f"cmd={hex_text(command)} terminal=pts/0 res=success'")])
        self.event(ms + 1, [("CRED_REFR", self.user_record(
            pid, str(uid), ses, domain, f'op=PAM:setcred grantors=pam_permit acct="root" '
            f'{where} res=success'))])
        self.event(ms + 1, [("USER_START", self.user_record(
            pid, str(uid), ses, domain, f'op=PAM:session_open grantors=pam_limits,pam_env,'
            f'pam_permit,pam_unix acct="root" {where} res=success'))])

        def close(end: int) -> None:
            self.event(end, [("USER_END", self.user_record(
                pid, str(uid), ses, domain, f'op=PAM:session_close grantors=pam_limits,'
                f'pam_env,pam_permit,pam_unix acct="root" {where} res=success'))])

        self.schedule(ms + rng.randrange(50, 30_000), close)

    def _service(self, ms: int) -> None:
        unit = self.rng.choice(UNITS)
        body = self.user_record(1, UNSET, UNSET, "init_t",
                                f'unit={unit} comm="systemd" exe="/usr/lib/systemd/systemd" '
                                'hostname=? addr=? terminal=? res=success')
        self.event(ms, [("SERVICE_START", body)])
        self.schedule(ms + self.rng.randrange(200, 60_000),
                      lambda end: self.event(end, [("SERVICE_STOP", body)]))

    def _exec(self, ms: int) -> None:
        rng = self.rng
        exe, comm, argv = rng.choice(EXECUTABLES)
        pid = self.next_pid()
        args = " ".join(f'a{index}="{value}"' for index, value in enumerate(argv))
        subject = self.subj("unconfined_service_t")
        self.event(ms, [
            ("SYSCALL", f"arch=c000003e syscall=59 success=yes exit=0 a0={rng.getrandbits(44):x} "
                        f"a1={rng.getrandbits(44):x} a2={rng.getrandbits(44):x} a3=0 "
                        f"items=2 ppid={pid - rng.randrange(1, 30)} pid={pid} auid=0 uid=0 "
                        "gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) "
                        f'ses={UNSET} comm="{comm}" exe="{exe}" subj={subject} key="exec"'),
            ("EXECVE", f"argc={len(argv)} {args}"),
            ("CWD", 'cwd="/"'),
            ("PATH", f'item=0 name="{exe}" inode={rng.randrange(10**5, 10**7)} dev=fd:01 '
                     "mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 "
                     "cap_fe=0 cap_fver=0 cap_frootid=0"),
            ("PATH", 'item=1 name="/lib64/ld-linux-x86-64.so.2" '
                     f"inode={rng.randrange(10**5, 10**7)} dev=fd:01 mode=0100755 ouid=0 "
                     "ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 "
                     "cap_frootid=0"),
            ("PROCTITLE", f"proctitle={hex_text(chr(0).join(argv))}"),
        ])

    def _file_watch(self, ms: int) -> None:
        rng = self.rng
        path = rng.choice(("/etc/passwd", "/etc/group", "/etc/shadow", "/etc/sudoers"))
        pid = self.next_pid()
        comm, exe = rng.choice((("sshd", "/usr/sbin/sshd"), ("cron", "/usr/sbin/cron"),
                                ("systemd-logind", "/usr/lib/systemd/systemd-logind")))
        descriptor = rng.randrange(3, 12)
        self.event(ms, [
            ("SYSCALL", f"arch=c000003e syscall=257 success=yes exit={descriptor} a0=ffffff9c "
                        f"a1={rng.getrandbits(44):x} a2=80000 a3=0 items=1 ppid=1 pid={pid} "
                        "auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 "
                        f'fsgid=0 tty=(none) ses={UNSET} comm="{comm}" exe="{exe}" '
                        f'subj={self.subj("sshd_t")} key="identity"'),
            ("CWD", 'cwd="/"'),
            ("PATH", f'item=0 name="{path}" inode={rng.randrange(10**5, 10**7)} dev=fd:01 '
                     "mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 "
                     "cap_fe=0 cap_fver=0 cap_frootid=0"),
            ("PROCTITLE", f"proctitle={hex_text(exe)}"),
        ])

    # Noise: error records away from every run ---------------------------------------------

    def noise(self, ms: int) -> None:
        rng = self.rng
        choice = rng.random()
        if choice < 0.5:
            self._background_denial(ms)
        elif choice < 0.8:
            address = f"192.0.2.{rng.randrange(2, 250)}"
            pid = self.next_pid()
            self.event(ms, [("USER_AUTH", self.user_record(
                pid, UNSET, UNSET, "sshd_t", f'op=PAM:authentication grantors=? acct="admin" '
                f'exe="/usr/sbin/sshd" hostname={address} addr={address} terminal=ssh '
                'res=failed'))])
        else:
            self.event(ms, [("SERVICE_START", self.user_record(
                1, UNSET, UNSET, "init_t", 'unit=example-sync comm="systemd" '
                'exe="/usr/lib/systemd/systemd" hostname=? addr=? terminal=? res=failed'))])

    def _background_denial(self, ms: int) -> None:
        rng = self.rng
        pid = self.next_pid()
        if self.selinux:
            comm, domain, target, tclass, name = rng.choice((
                ("rsyslogd", "syslogd_t", "var_lib_t", "dir", "imjournal.state"),
                ("chronyd", "chronyd_t", "user_home_t", "file", "chrony.conf"),
                ("systemd-resolve", "systemd_resolved_t", "net_conf_t", "file", "resolv.conf"),
            ))
            self.event(ms, [
                ("AVC", f"avc:  denied  {{ read }} for  pid={pid} comm=\"{comm}\" "
                        f"name=\"{name}\" dev=\"vda1\" ino={rng.randrange(10**5, 10**7)} "
                        f"scontext=system_u:system_r:{domain}:s0 "
                        f"tcontext=system_u:object_r:{target}:s0 tclass={tclass} permissive=0"),
                ("SYSCALL", f"arch=c000003e syscall=257 success=no exit=-13 a0=ffffff9c "
                            f"a1={rng.getrandbits(44):x} a2=80000 a3=0 items=0 ppid=1 pid={pid} "
                            f"auid={UNSET} uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 "
                            f'fsgid=0 tty=(none) ses={UNSET} comm="{comm}" exe="/usr/sbin/{comm}" '
                            f"subj=system_u:system_r:{domain}:s0 key=(null)"),
                ("PROCTITLE", f"proctitle={hex_text('/usr/sbin/' + comm)}"),
            ])
            return
        profile, name = rng.choice((("/usr/sbin/cups-browsed", "/etc/cups/cups-browsed.conf"),
                                    ("/usr/sbin/chronyd", "/etc/chrony/chrony.keys"),
                                    ("rsyslogd", "/var/spool/rsyslog/")))
        comm = profile.rsplit("/", 1)[-1]
        self.event(ms, [("AVC", f'apparmor="DENIED" operation="open" class="file" '
                                f'profile="{profile}" name="{name}" pid={pid} comm="{comm}" '
                                'requested_mask="r" denied_mask="r" fsuid=0 ouid=0')])

    # Denials of failed runs ---------------------------------------------------------------

    def denial_records(self, kind: str,
                       values: dict[str, str]) -> tuple[list[tuple[str, str]], str]:
        """Build the records of a failure's denial and return them with the AVC line's body."""
        rng = self.rng
        pid = self.next_pid()
        directory = values["dir"]
        argv = values["cmd"].split(" ")
        proctitle = ("PROCTITLE", f"proctitle={hex_text(chr(0).join(argv))}")
        syscall_tail = (f"items=1 ppid={pid - rng.randrange(1, 9)} pid={pid} auid={UNSET} uid=0 "
                        f"gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses={UNSET} "
                        'comm="go" exe="/usr/local/go/bin/go"')
        if kind == "avc":
            avc = (f"avc:  denied  {{ write }} for  pid={pid} comm=\"go\" "
                   f"name=\"{directory.rsplit('/', 1)[-1]}\" dev=\"vda1\" "
                   f"ino={rng.randrange(10**5, 10**7)} scontext=system_u:system_r:cloud_init_t:s0 "
                   "tcontext=system_u:object_r:usr_t:s0 tclass=dir permissive=0")
            records = [
                ("AVC", avc),
                ("SYSCALL", f"arch=c000003e syscall=257 success=no exit=-13 a0=ffffff9c "
                            f"a1={rng.getrandbits(44):x} a2=80241 a3=1ed {syscall_tail} "
                            "subj=system_u:system_r:cloud_init_t:s0 key=(null)"),
                ("CWD", 'cwd="/root"'),
                ("PATH", f'item=0 name="{directory}/" inode={rng.randrange(10**5, 10**7)} '
                         "dev=fd:01 mode=040755 ouid=0 ogid=0 rdev=00:00 "
                         "obj=system_u:object_r:usr_t:s0 nametype=PARENT cap_fp=0 cap_fi=0 "
                         "cap_fe=0 cap_fver=0 cap_frootid=0"),
                proctitle,
            ]
            return records, avc
        avc = (f'apparmor="DENIED" operation="mknod" class="file" profile="installer-agent" '
               f'name="{directory}/dlv" pid={pid} comm="go" requested_mask="c" denied_mask="c" '
               "fsuid=0 ouid=0")
        records = [
            ("AVC", avc),
            ("SYSCALL", f"arch=c000003e syscall=257 success=no exit=-13 a0=ffffff9c "
                        f"a1={rng.getrandbits(44):x} a2=80241 a3=1ed {syscall_tail} "
                        "subj=installer-agent key=(null)"),
            proctitle,
        ]
        return records, avc
