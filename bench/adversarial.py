"""Hostile requests against a real ``marja serve``: what one costs, and what it does to others.

For each class of hostile request (see ``CLASSES``) against a live server over corpus/ with the
bundled model:

1. **cost**: the request is sent ``--repeats`` times, one at a time, with nothing else running;
   the server process's CPU time (user + system, all threads, from /proc) is read around each.
   Reported: the median and the worst CPU seconds of one request, and its wall time.
2. **stall**: a prober asks normal questions one after another (each a new text, so each is
   embedded) with its own valid key; first alone (the baseline), then while ``--attackers``
   clients send the hostile request in a loop for ``--seconds``. Reported: the prober's median
   latency alone and under attack, and the worst stall: its slowest answer under attack minus
   its median alone.
3. **5xx**: every status the hostile requests got, and any 5xx of either side.

Goal (issue 13): no request costs over 1 s of CPU, none stalls a normal question by over
100 ms beyond its normal time, no 5xx. The machine is shared and noisy: compare the numbers of
one run with each other (the baseline is measured in the same run), not across runs.

    python -m bench.adversarial [--repeats 3] [--attackers 4] [--seconds 4] [--only NAME ...]

Results go to bench/results/adversarial.json and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import logging
import secrets
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.common import REPO, percentile, write_result
from bench.query_path import NOISY_LOGGERS, build_index, corpus_documents, cpu_seconds
from core.document import DocumentOverrides
from core.errors import InvalidDocument
from harness.live import LiveServer
from harness.samples import make_pdf
from ingest.loaders import load_bytes

logger = logging.getLogger("bench.adversarial")

WRITE_KEY = "bench-write-key-" + secrets.token_hex(8)
# The prober stands for the other users of the service: it rotates over many valid keys, each
# used for PROBES_PER_KEY questions, so the rate limit (60/minute per client) never slows it.
PROBE_KEYS = [f"bench-probe-{i:03d}-{secrets.token_hex(6)}" for i in range(300)]
PROBES_PER_KEY = 30
PROBE_QUESTIONS = [
    "Where was the {n}th biennial meeting of regional organizations held?",
    "ما المنظمات التي شاركت في الاجتماع رقم {n}؟",
    "Which organizations attended the meeting number {n} on mediation?",
    "متى عقد الاجتماع {n} للمنظمات الإقليمية؟",
]

ALIAS_BOMB = (
    "---\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{chr(97 + i)}: &{chr(97 + i)} [{','.join(['*' + chr(96 + i)] * 9)}]\n" for i in range(1, 9))
    + "---\n\nA note.\n"
)


@dataclass
class Attack:
    """One hostile request: ``send(client, n)`` sends the n-th one and returns its status."""

    name: str
    what: str
    send: Callable[[httpx.Client, Target, int], int]


@dataclass
class Target:
    url: str
    port: int


def _json_document(text_of: Callable[[int], str]) -> Callable[[httpx.Client, Target, int], int]:
    def send(client: httpx.Client, target: Target, n: int) -> int:
        body = {"title": f"Hostile {n}", "text": text_of(n), "lang": "en"}
        r = client.put(f"{target.url}/documents/hostile", json=body, headers={"X-API-Key": WRITE_KEY})
        return r.status_code

    return send


def _upload(
    name: str, data_of: Callable[[int], bytes], content_type: str
) -> Callable[[httpx.Client, Target, int], int]:
    """PUT a file as ``hostile-<stem>``. Files that are valid documents are indexed before the
    server starts, and each upload has new bytes but the same text: what is measured is reading
    the file (the ingest finds it unchanged), not embedding it."""

    def send(client: httpx.Client, target: Target, n: int) -> int:
        r = client.put(
            f"{target.url}/documents/hostile-{name.split('.')[0]}",
            files={"file": (name, data_of(n), content_type)},
            headers={"X-API-Key": WRITE_KEY},
        )
        return r.status_code

    return send


def _question(
    text_of: Callable[[int], str], **headers_of: Callable[[int], str]
) -> Callable[[httpx.Client, Target, int], int]:
    def send(client: httpx.Client, target: Target, n: int) -> int:
        headers = {k.replace("_", "-"): f(n) for k, f in headers_of.items()}
        return client.post(f"{target.url}/ask", json={"question": text_of(n)}, headers=headers).status_code

    return send


_HUGE_HEAD = (
    b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-API-Key: "
    + b"k" * (4 * 1024 * 1024)
    + b"\r\nContent-Length: 2\r\n\r\n{}"
)


def _huge_header(client: httpx.Client, target: Target, n: int) -> int:
    head = _HUGE_HEAD
    with socket.create_connection(("127.0.0.1", target.port), timeout=60) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(head)
        answer = b""
        with contextlib.suppress(ConnectionResetError, TimeoutError):
            while chunk := sock.recv(65536):
                answer += chunk
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0


_PDF_CACHE: dict[str, bytes] = {}


def _big_pdf(n: int) -> bytes:
    if "big" not in _PDF_CACHE:
        page = [("L", "The regional organizations met to review mediation support and early warning. " * 12)]
        _PDF_CACHE["big"] = make_pdf([page] * 200, arabic_font=False)
    return _PDF_CACHE["big"] + f"\n%{n}\n".encode()  # a comment after %%EOF: new bytes, same PDF


def _digit_line_pdf(n: int) -> bytes:
    if "digits" not in _PDF_CACHE:
        from fpdf import FPDF

        pdf = FPDF()
        pdf.set_font("helvetica", size=2)
        pdf.add_page()
        pdf.cell(0, 3, "1 " * 20_000)
        _PDF_CACHE["digits"] = bytes(pdf.output())
    return _PDF_CACHE["digits"] + f"\n%{n}\n".encode()


CLASSES = [
    Attack(
        "heading-spaces",
        "POST a document whose heading is padded with 1,000 ' \\t' (issue: 10.9 s)",
        _json_document(lambda n: f"# a{n}" + " \t" * 1000 + "b\n\nx"),
    ),
    Attack(
        "spaces-40k",
        "POST a document with a run of 40,000 spaces (issue: 8.5 s)",
        _json_document(lambda n: f"a{n}" + " " * 40_000 + "b"),
    ),
    Attack(
        "long-arabic-word",
        "ask a 2,000-character one-word Arabic question (issue: 4.4 s CPU; token cap: model side)",
        _question(lambda n: "ب" * 1990 + f"{n:010d}"),
    ),
    Attack(
        "long-question-words",
        "ask a 2,000-character question of 400 distinct words",
        _question(lambda n: " ".join(f"w{n}x{i}" for i in range(400))[:2000]),
    ),
    Attack(
        "random-keys",
        "ask with a new random X-API-Key each time (issue: 70 x 200)",
        _question(lambda n: f"Where was the meeting held? {n}", X_API_Key=lambda n: secrets.token_hex(16)),
    ),
    Attack("huge-header", "a 4 MB X-API-Key header (issue: +359 MB RSS that stayed)", _huge_header),
    Attack(
        "alias-bomb",
        "upload a 448-byte .md whose front matter nests YAML aliases (issue: 23 s, 1 MB metadata)",
        _upload("bomb.md", lambda n: ALIAS_BOMB.replace("A note.", f"A note {n}.").encode(), "text/markdown"),
    ),
    Attack(
        "deep-front-matter",
        "upload a .md whose front matter opens 20,000 '[' (issue: 500)",
        _upload(
            "deep.md", lambda n: ("---\nx: " + "[" * 20_000 + f"\n---\nBody {n}.\n").encode(), "text/markdown"
        ),
    ),
    Attack(
        "pdf-200-pages",
        "upload a 200-page PDF (issue: stalled others 1-1.75 s)",
        _upload("big.pdf", _big_pdf, "application/pdf"),
    ),
    Attack(
        "pdf-digit-line",
        "upload a PDF with one line of 20,000 digits and spaces",
        _upload("digits.pdf", _digit_line_pdf, "application/pdf"),
    ),
    Attack(
        "invisible-question",
        "ask a question of zero-width and direction characters only",
        _question(lambda n: "\u200b\u200e\u2066\u202e" * 50),
    ),
    Attack(
        "wrong-content-type",
        "POST /documents as text/plain",
        lambda client, target, n: (
            client.post(
                f"{target.url}/documents",
                content=b"x" * 1000,
                headers={"X-API-Key": WRITE_KEY, "Content-Type": "text/plain"},
            ).status_code
        ),
    ),
]


# -- measuring --------------------------------------------------------------------------------------


class Prober:
    """Normal questions one after another, each a new text; latencies in seconds."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.latencies: list[tuple[float, float]] = []  # (start, seconds)
        self.statuses: Counter[int] = Counter()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._n = itertools.count()

    def one(self, client: httpx.Client) -> None:
        n = next(self._n)
        question = PROBE_QUESTIONS[n % len(PROBE_QUESTIONS)].format(n=n)
        started = time.perf_counter()
        key = PROBE_KEYS[(n // PROBES_PER_KEY) % len(PROBE_KEYS)]
        r = client.post(
            f"{self.target.url}/ask", json={"question": question, "top_k": 5}, headers={"X-API-Key": key}
        )
        self.latencies.append((started, time.perf_counter() - started))
        self.statuses[r.status_code] += 1

    def run_for(self, seconds: float) -> list[float]:
        with httpx.Client(timeout=120) as client:
            start = len(self.latencies)
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                self.one(client)
            return [s for _, s in self.latencies[start:]]

    def start(self) -> None:
        self._stop.clear()

        def loop() -> None:
            with httpx.Client(timeout=120) as client:
                while not self._stop.is_set():
                    self.one(client)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=300)


def cost(attack: Attack, target: Target, pid: int, repeats: int) -> dict[str, Any]:
    cpu, wall, statuses = [], [], Counter()
    with httpx.Client(timeout=300) as client:
        for n in range(repeats):
            time.sleep(0.3)  # let the server settle (background threads, GC)
            before, started = cpu_seconds(pid), time.perf_counter()
            statuses[attack.send(client, target, n)] += 1
            wall.append(time.perf_counter() - started)
            cpu.append(cpu_seconds(pid) - before)
    return {"cpu_s": cpu, "wall_s": wall, "statuses": dict(statuses)}


def stall(
    attack: Attack, target: Target, prober: Prober, pid: int, *, attackers: int, seconds: float
) -> dict[str, Any]:
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    stop = threading.Event()
    counter = itertools.count(10_000)

    def attacker() -> None:
        with httpx.Client(timeout=300) as client:
            while not stop.is_set():
                status = attack.send(client, target, next(counter))
                with lock:
                    statuses[status] += 1

    threads = [threading.Thread(target=attacker, daemon=True) for _ in range(attackers)]
    began, cpu_before = time.perf_counter(), cpu_seconds(pid)
    prober.start()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=600)
    ended, cpu_after = time.perf_counter(), cpu_seconds(pid)
    prober.stop()
    during = [s for start, s in prober.latencies if began <= start <= ended]
    return {
        "probe_s": during,
        "attack_statuses": dict(statuses),
        "attack_seconds": ended - began,
        "server_cores_busy": (cpu_after - cpu_before) / (ended - began),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--baseline-seconds", type=float, default=4.0)
    parser.add_argument("--model", default="default")
    parser.add_argument("--only", nargs="*", help="class names to run (default: all)")
    parser.add_argument("--table", type=Path, help="only print the table of a results file")
    args = parser.parse_args(argv)
    if args.table:
        print(markdown(json.loads(args.table.read_text())["summary"]))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    chosen = [a for a in CLASSES if not args.only or a.name in args.only]

    work = Path(tempfile.mkdtemp(prefix="marja-adversarial-"))
    try:
        data = work / "data"
        uploads = []
        for name, data_of in (("big.pdf", _big_pdf), ("digits.pdf", _digit_line_pdf)):
            with contextlib.suppress(InvalidDocument):  # the digits are no document: 422 every time
                hostile = DocumentOverrides(doc_id=f"hostile-{name.split('.')[0]}")
                uploads.append(load_bytes(data_of(0), filename=name, given=hostile))
        build_index(data, corpus_documents() + uploads, args.model)  # data/models: the built models
        # Reads need no key; the prober presents valid ones, so the rate limit counts it apart
        # from the attackers (who share the loopback address's budget).
        env = {
            "MARJA_API_KEYS": ",".join([WRITE_KEY, *PROBE_KEYS]),
            "MARJA_RATE_LIMIT": "60/minute",
            "MARJA_MODEL": args.model,
        }
        with LiveServer(data, work / "serve.log", env=env) as server:
            assert server.proc is not None
            target = Target(server.url, server.port)
            prober = Prober(target)
            prober.run_for(3.0)  # warm-up
            results: dict[str, Any] = {"classes": {}}
            for attack in chosen:
                logger.info("%s: %s", attack.name, attack.what)
                # The normal question alone, just before: the machine is shared, its load drifts.
                alone = prober.run_for(args.baseline_seconds)
                measured = cost(attack, target, server.proc.pid, args.repeats)
                measured |= stall(
                    attack, target, prober, server.proc.pid, attackers=args.attackers, seconds=args.seconds
                )
                measured |= {"what": attack.what, "alone_probe_s": alone}
                results["classes"][attack.name] = measured
                logger.info(
                    "  cpu worst %.2f s; normal question p50 %.0f ms alone, %.0f ms attacked; statuses %s",
                    max(measured["cpu_s"]),
                    statistics.median(alone) * 1000,
                    statistics.median(measured["probe_s"] or [float("nan")]) * 1000,
                    measured["attack_statuses"],
                )
                prober.run_for(1.0)  # let queued work drain before the next class
            results["probe_statuses"] = dict(prober.statuses)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    summary = summarize(results, args)
    path = write_result("adversarial", {"settings": vars(args), "summary": summary, "raw": results})
    print(markdown(summary))
    print(f"\n(written to {path.relative_to(REPO)})", file=sys.stderr)
    return 0


def summarize(results: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"probe_statuses": results["probe_statuses"], "classes": {}}
    for name, m in results["classes"].items():
        alone, probe = m["alone_probe_s"], m["probe_s"] or [float("nan")]
        statuses = Counter({int(k): v for k, v in m["statuses"].items()}) + Counter(
            {int(k): v for k, v in m["attack_statuses"].items()}
        )
        alone_p50 = statistics.median(alone)
        out["classes"][name] = {
            "what": m["what"],
            "cpu_median_s": round(statistics.median(m["cpu_s"]), 3),
            "cpu_worst_s": round(max(m["cpu_s"]), 3),
            "wall_median_s": round(statistics.median(m["wall_s"]), 3),
            "normal_questions": [len(alone), len(m["probe_s"])],
            "alone_p50_ms": round(alone_p50 * 1000, 1),
            "alone_p90_ms": round(percentile(alone, 90) * 1000, 1),
            "alone_max_ms": round(max(alone) * 1000, 1),
            "attack_p50_ms": round(statistics.median(probe) * 1000, 1),
            "attack_p90_ms": round(percentile(probe, 90) * 1000, 1),
            "attack_max_ms": round(max(probe) * 1000, 1),
            "p50_ratio": round(statistics.median(probe) / alone_p50, 2),
            "worst_stall_ms": round((max(probe) - alone_p50) * 1000, 1),
            "worst_beyond_alone_worst_ms": round((max(probe) - max(alone)) * 1000, 1),
            "server_cores_busy_under_attack": round(m["server_cores_busy"], 2),
            "statuses": dict(sorted(statuses.items())),
            "server_errors": sum(v for k, v in statuses.items() if k >= 500),
        }
    return out


def markdown(summary: dict[str, Any]) -> str:
    lines = [
        "| class | CPU of one request, median / worst | normal question p50: alone → under attack "
        "| p90: alone → under attack | slowest: alone → under attack | statuses | 5xx |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, c in summary["classes"].items():
        statuses = ", ".join(f"{k}×{v}" for k, v in c["statuses"].items())
        lines.append(
            f"| {name} | {c['cpu_median_s']:.2f} / {c['cpu_worst_s']:.2f} s "
            f"| {c['alone_p50_ms']:.0f} → {c['attack_p50_ms']:.0f} ms ({c['p50_ratio']:.2f}x) "
            f"| {c['alone_p90_ms']:.0f} → {c['attack_p90_ms']:.0f} ms "
            f"| {c['alone_max_ms']:.0f} → {c['attack_max_ms']:.0f} ms | {statuses} "
            f"| {c['server_errors']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
