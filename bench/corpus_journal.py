"""The journal of a generated node, as `journalctl -o json` prints it: one JSON object a line.

Every value is a JSON string, as in journalctl's output (one line per record;
wrapped and shortened here)::

    {"__CURSOR":"s=...;i=4eb1b1;b=...;m=2bd4e2166;t=6200adaf0a66a;x=d9b1ac66921eaac9",
     "__REALTIME_TIMESTAMP":"1796263247123456","__MONOTONIC_TIMESTAMP":"11765948774",
     "_BOOT_ID":"...","PRIORITY":"6","SYSLOG_FACILITY":"3","SYSLOG_IDENTIFIER":"systemd",
     "_PID":"1","_COMM":"systemd",...,"MESSAGE":"Starting logrotate.service - Rotate log files..."}

Fixed fields of each sender (systemd, sshd, cron, the kernel) are rendered
once per node as a JSON fragment. A record then only formats its time fields
and its message.
"""

from __future__ import annotations

import json
import random
import time

from corpus_audit import USERS
from corpus_plan import NodeInfo
from corpus_streams import BackgroundStream, LineSink, QuietZones, WeightedChoice

TIMER_UNITS = (
    ("apt-daily.service", "Daily apt download activities"),
    ("apt-daily-upgrade.service", "Daily apt upgrade and clean activities"),
    ("man-db.service", "Daily man-db regeneration"),
    ("logrotate.service", "Rotate log files"),
    ("systemd-tmpfiles-clean.service", "Cleanup of Temporary Directories"),
    ("sysstat-collect.service", "system activity accounting tool"),
    ("e2scrub_all.service", "Online ext4 Metadata Check for All Filesystems"),
    ("fstrim.service", "Discard unused blocks on filesystems from /etc/fstab"),
    ("dpkg-db-backup.service", "Daily dpkg database backup service"),
    ("phpsessionclean.service", "Clean php session files"),
)
CRON_COMMANDS = (
    "command -v debian-sa1 > /dev/null && debian-sa1 1 1",
    "   cd / && run-parts --report /etc/cron.hourly",
    "[ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then "
    "/usr/lib/php/sessionclean; fi",
    "/usr/local/bin/backup-config --quiet",
)
FACILITIES = {"systemd": 3, "sshd": 4, "logind": 4, "cron": 9, "chronyd": 3, "kernel": 0}
AUTHPRIV = 10
JOB_DONE_ID = "39f53479d3a045ac8e11786248231fbf"
SESSION_ID = "8d45620c1a4348dbb17410da57c60c66"


def fields_json(fields: dict[str, str]) -> str:
    """Render fields as the inside of a JSON object, ending with a comma."""
    return "".join(f"{json.dumps(key)}:{json.dumps(value)}," for key, value in fields.items())


class JournalStream(BackgroundStream):
    """Routine journal records of one node, with failure-related kernel records injected."""

    def __init__(self, sink: LineSink, node: NodeInfo, rng: random.Random, budget: int,
                 start_ms: int, end_ms: int, quiet: QuietZones, noise_rate: float) -> None:
        super().__init__(sink, rng, budget, start_ms, end_ms, quiet, noise_rate)
        self.node = node
        self.seqnum = rng.randrange(10**5, 10**7)
        self.session = rng.randrange(3, 400)
        self.pid = rng.randrange(3_000, 30_000)
        self._last_realtime = 0
        host = {"_HOSTNAME": node.name, "_MACHINE_ID": node.machine_id}
        self._host = fields_json(host).rstrip(",")
        self._senders = self._build_senders()
        self._routine = WeightedChoice([6.0, 3.0, 4.0, 1.0])
        self._routines = (self._timer, self._ssh, self._cron, self._chrony)

    def _build_senders(self) -> dict[str, str]:
        systemd = {"_TRANSPORT": "journal", "_PID": "1", "_UID": "0", "_GID": "0",
                   "_COMM": "systemd", "_EXE": "/usr/lib/systemd/systemd",
                   "_CMDLINE": "/sbin/init", "_CAP_EFFECTIVE": "1ffffffffff",
                   "_SYSTEMD_CGROUP": "/init.scope", "_SYSTEMD_UNIT": "init.scope",
                   "_SYSTEMD_SLICE": "-.slice", "SYSLOG_IDENTIFIER": "systemd",
                   "CODE_FILE": "src/core/job.c",
                   "CODE_FUNC": "job_emit_done_message"}
        sshd = {"_TRANSPORT": "syslog", "_UID": "0", "_GID": "0", "_COMM": "sshd",
                "_EXE": "/usr/sbin/sshd", "_CAP_EFFECTIVE": "1ffffffffff",
                "_SYSTEMD_CGROUP": "/system.slice/ssh.service", "_SYSTEMD_UNIT": "ssh.service",
                "_SYSTEMD_SLICE": "system.slice", "SYSLOG_IDENTIFIER": "sshd"}
        logind = {"_TRANSPORT": "journal", "_UID": "0", "_GID": "0",
                  "_COMM": "systemd-logind", "_EXE": "/usr/lib/systemd/systemd-logind",
                  "_SYSTEMD_CGROUP": "/system.slice/systemd-logind.service",
                  "_SYSTEMD_UNIT": "systemd-logind.service", "_SYSTEMD_SLICE": "system.slice",
                  "SYSLOG_IDENTIFIER": "systemd-logind",
                  "CODE_FILE": "src/login/logind-session.c", "CODE_FUNC": "session_start"}
        cron = {"_TRANSPORT": "syslog", "_UID": "0", "_GID": "0", "_COMM": "cron",
                "_EXE": "/usr/sbin/cron", "_SYSTEMD_CGROUP": "/system.slice/cron.service",
                "_SYSTEMD_UNIT": "cron.service", "_SYSTEMD_SLICE": "system.slice",
                "SYSLOG_IDENTIFIER": "CRON"}
        chrony = {"_TRANSPORT": "syslog", "_UID": "110", "_GID": "118", "_COMM": "chronyd",
                  "_EXE": "/usr/sbin/chronyd",
                  "_SYSTEMD_CGROUP": "/system.slice/chrony.service",
                  "_SYSTEMD_UNIT": "chrony.service", "_SYSTEMD_SLICE": "system.slice",
                  "SYSLOG_IDENTIFIER": "chronyd"}
        kernel = {"_TRANSPORT": "kernel", "SYSLOG_IDENTIFIER": "kernel"}
        return {name: fields_json(fields) for name, fields in (
            ("systemd", systemd), ("sshd", sshd), ("logind", logind), ("cron", cron),
            ("chronyd", chrony), ("kernel", kernel))}

    # Writing ------------------------------------------------------------------------------

    def entry(self, ms: int, sender: str, priority: int, message: str,
              extra: dict[str, str] | None = None, facility: int | None = None) -> None:
        """Write one journal record of `sender` at `ms` on the node's clock.

        `facility` is the syslog facility number; by default the sender's own
        (``authpriv``, 10, is the usual override for PAM messages).
        """
        rng = self.rng
        self.seqnum += 1
        realtime = max(ms * 1000 + rng.randrange(0, 1000), self._last_realtime + 1)
        self._last_realtime = realtime
        if facility is None:
            facility = FACILITIES[sender]
        monotonic = realtime - self.node.boot_ms * 1000
        cursor = (f"s={self.node.seqnum_id};i={self.seqnum:x};b={self.node.boot_id};"
                  f"m={monotonic:x};t={realtime:x};x={rng.getrandbits(64):016x}")
        more = fields_json(extra) if extra else ""
        line = (f'{{"__CURSOR":"{cursor}","__REALTIME_TIMESTAMP":"{realtime}",'
                f'"__MONOTONIC_TIMESTAMP":"{monotonic}","__SEQNUM":"{self.seqnum}",'
                f'"__SEQNUM_ID":"{self.node.seqnum_id}","_BOOT_ID":"{self.node.boot_id}",'
                f'"PRIORITY":"{priority}","SYSLOG_FACILITY":"{facility}",{self._senders[sender]}{more}'
                f'"MESSAGE":{json.dumps(message)},{self._host}}}')
        self.sink.write(line, ms)
        self.written += len(line) + 1

    def next_pid(self) -> int:
        self.pid += self.rng.randrange(1, 40)
        return self.pid

    def syslog_fields(self, pid: int, ms: int, cmdline: str) -> dict[str, str]:
        stamp = time.strftime("%b %d %H:%M:%S", time.gmtime(ms // 1000))
        if stamp[4] == "0":
            stamp = f"{stamp[:4]} {stamp[5:]}"
        return {"_PID": str(pid), "SYSLOG_PID": str(pid), "_CMDLINE": cmdline,
                "SYSLOG_TIMESTAMP": f"{stamp} "}

    # Routine records ----------------------------------------------------------------------

    def routine(self, ms: int) -> None:
        self._routines[self._routine.pick(self.rng)](ms)

    def _timer(self, ms: int) -> None:
        unit, description = self.rng.choice(TIMER_UNITS)
        self.unit_start(ms, unit, description)

    def unit_start(self, ms: int, unit: str, description: str) -> None:
        invocation = f"{self.rng.getrandbits(128):032x}"
        fields = {"UNIT": unit, "INVOCATION_ID": invocation, "CODE_LINE": "581",
                  "JOB_TYPE": "start"}
        self.entry(ms, "systemd", 6, f"Starting {unit} - {description}...", fields)

        def finish(end: int) -> None:
            done = {"UNIT": unit, "INVOCATION_ID": invocation, "CODE_LINE": "768",
                    "MESSAGE_ID": JOB_DONE_ID, "JOB_ID": str(self.rng.randrange(1000, 90000)),
                    "JOB_TYPE": "start", "JOB_RESULT": "done"}
            self.entry(end, "systemd", 6, f"{unit}: Deactivated successfully.",
                       {"UNIT": unit, "INVOCATION_ID": invocation, "CODE_LINE": "3147"})
            self.entry(end, "systemd", 6, f"Finished {unit} - {description}.", done)

        self.schedule(ms + self.rng.randrange(100, 90_000), finish)

    def _ssh(self, ms: int) -> None:
        rng = self.rng
        user, uid = rng.choice(USERS)
        pid = self.next_pid()
        address = f"192.0.2.{rng.randrange(2, 250)}"
        port = rng.randrange(32768, 61000)
        self.session += 1
        session = self.session
        fingerprint = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                         "0123456789+/") for _ in range(43))
        syslog = self.syslog_fields(pid, ms, f"sshd: {user} [priv]")
        self.entry(ms, "sshd", 6, f"Accepted publickey for {user} from {address} port {port} "
                   f"ssh2: ED25519 SHA256:{fingerprint}", syslog)
        self.entry(ms, "sshd", 6, f"pam_unix(sshd:session): session opened for user "
                   f"{user}(uid={uid}) by (uid=0)", syslog, AUTHPRIV)
        self.entry(ms + 2, "logind", 6, f"New session {session} of user {user}.",
                   {"_PID": str(self.node.index + 600), "MESSAGE_ID": SESSION_ID,
                    "SESSION_ID": str(session), "USER_ID": user, "LEADER": str(pid),
                    "CODE_LINE": "807"})

        def logout(end: int) -> None:
            closing = self.syslog_fields(pid, end, f"sshd: {user} [priv]")
            self.entry(end, "sshd", 6, f"Received disconnect from {address} port {port}:11: "
                       "disconnected by user", closing)
            self.entry(end, "sshd", 6, f"Disconnected from user {user} {address} port {port}",
                       closing)
            self.entry(end, "sshd", 6, f"pam_unix(sshd:session): session closed for user {user}",
                       closing, AUTHPRIV)
            self.entry(end + 1, "logind", 6, f"Removed session {session}.",
                       {"_PID": str(self.node.index + 600), "SESSION_ID": str(session),
                        "CODE_LINE": "1240"})

        self.schedule(ms + rng.randrange(5_000, 1_800_000), logout)

    def _cron(self, ms: int) -> None:
        pid = self.next_pid()
        command = self.rng.choice(CRON_COMMANDS)
        syslog = self.syslog_fields(pid, ms, "/usr/sbin/CRON -f -P")
        self.entry(ms, "cron", 6, "pam_unix(cron:session): session opened for user root(uid=0) "
                   "by (uid=0)", syslog, AUTHPRIV)
        self.entry(ms, "cron", 6, f"(root) CMD ({command})", syslog)
        self.schedule(ms + self.rng.randrange(20, 4_000), lambda end: self.entry(
            end, "cron", 6, "pam_unix(cron:session): session closed for user root",
            self.syslog_fields(pid, end, "/usr/sbin/CRON -f -P"), AUTHPRIV))

    def _chrony(self, ms: int) -> None:
        rng = self.rng
        syslog = self.syslog_fields(700 + self.node.index, ms, "/usr/sbin/chronyd -F 1")
        if rng.random() < 0.5:
            message = f"Selected source 192.0.2.{rng.randrange(2, 250)} (2.debian.pool.ntp.org)"
        else:
            message = f"System clock wrong by {rng.uniform(-0.05, 0.05):.6f} seconds"
        self.entry(ms, "chronyd", 6, message, syslog)

    # Noise: error records away from every run ---------------------------------------------

    def noise(self, ms: int) -> None:
        rng = self.rng
        if rng.random() < 0.6:
            fields = {"UNIT": "example-sync.service", "CODE_LINE": "2970"}
            self.entry(ms, "systemd", 5, "example-sync.service: Main process exited, "
                       "code=exited, status=1/FAILURE",
                       {**fields, "_EXIT_CODE": "exited", "EXIT_STATUS": "1"})
            self.entry(ms, "systemd", 4,
                       "example-sync.service: Failed with result 'exit-code'.", fields)
            self.entry(ms + 1, "systemd", 3,
                       "Failed to start example-sync.service - Sync of site data.",
                       {**fields, "JOB_TYPE": "start", "JOB_RESULT": "failed"})
            return
        pid = self.next_pid()
        address = f"192.0.2.{rng.randrange(2, 250)}"
        self.entry(ms, "sshd", 3, f"error: kex_exchange_identification: Connection closed by "
                   f"remote host {address} port {rng.randrange(32768, 61000)}",
                   self.syslog_fields(pid, ms, "sshd: [accepted]"))

    # Records of failed runs ---------------------------------------------------------------

    def oom_kill(self, ms: int, victim_pid: int) -> str:
        """Write the kernel's OOM-kill records and return the "Out of memory" message."""
        rng = self.rng
        monotonic = str(ms * 1000 - self.node.boot_ms * 1000)
        kernel = {"_SOURCE_MONOTONIC_TIMESTAMP": monotonic}
        self.entry(ms - 1, "kernel", 4, "compile invoked oom-killer: "
                   "gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, "
                   "oom_score_adj=0", kernel)
        total = rng.randrange(1_600_000, 3_200_000)
        message = (f"Out of memory: Killed process {victim_pid} (compile) total-vm:{total}kB, "
                   f"anon-rss:{total - rng.randrange(100_000, 400_000)}kB, file-rss:0kB, "
                   f"shmem-rss:0kB, UID:0 pgtables:{rng.randrange(3_000, 7_000)}kB "
                   "oom_score_adj:0")
        self.entry(ms, "kernel", 3, message, kernel)
        return message
