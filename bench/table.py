"""The results table `make bench` prints."""

from __future__ import annotations

from typing import Any

from bench import export_zip, image_memory
from bench.core import median
from bench.plan import ALL_SCENARIOS, IMAGE_SCENARIOS

_COLUMNS = (
    ("scenario", 22, "<"),
    ("server", 18, "<"),
    ("conns", 5, ">"),
    ("req/s", 9, ">"),
    ("p50 ms", 9, ">"),
    ("p99 ms", 9, ">"),
    ("cpu ms", 7, ">"),
    ("compared with", 21, "<"),
    ("ratio", 6, ">"),
)


def _row(*cells: object, note: str = "") -> str:
    parts = [
        f"{'' if c is None else c!s:{align}{width}}"
        for c, (_, width, align) in zip(cells, _COLUMNS, strict=False)
    ]
    parts += [" " * width for _, width, _ in _COLUMNS[len(cells) :]]
    return (" ".join(parts) + "  " + note).rstrip()


def format_table(results: dict[str, Any]) -> str:
    """The results as a plain-text table (also pasted into docs/benchmarks.md).

    `cpu ms` is the server's CPU time per answered request (all its processes, median run);
    `ratio` is req/s over the ceiling's, or over one worker's for the w2_ rows.
    """
    lines = [_row(*(title for title, _, _ in _COLUMNS), note="status")]
    for name in ALL_SCENARIOS:
        entry = results["scenarios"].get(name, {})
        status = entry.get("status", "missing")
        if name == "bcrypt_capacity" and status == "ok":
            lines.append(
                _row(
                    name,
                    "(micro-benchmark)",
                    "",
                    f"{entry['hashes_per_s']:.2f}",
                    note=f"bcrypt checks/s on the server's CPUs "
                    f"({entry['all_cpus_hashes_per_s']:.2f} on all)",
                )
            )
            continue
        if name == "memory" and status in ("ok", "errors"):
            lines.append(
                _row(
                    name,
                    entry["server"],
                    "",
                    f"{entry['rps']:.1f}",
                    note=f"VmRSS {entry['rss_after_warmup_kib']} KiB after warm-up, "
                    f"{entry['rss_after_requests_kib']} KiB after {entry['requests']} requests",
                )
            )
            continue
        if name in export_zip.SCENARIOS and status in ("ok", "errors"):
            lines.append(_row(name, entry["server"], note=export_zip.summary(entry)))
            continue
        if name in IMAGE_SCENARIOS and status in ("ok", "errors"):
            lines.append(_row(name, entry["server"], note=image_memory.summary(name, entry)))
            continue
        med = entry.get("median")
        if not med:
            reason = entry.get("reason", "")
            lines.append(_row(name, note=f"{status}{': ' + reason[:90] if reason else ''}"))
            continue
        ratio = entry.get("ratio_to_ceiling", entry.get("ratio_to_one_worker"))
        against = entry.get("ceiling") or (
            f"{entry['compare_with']} W=1" if entry.get("compare_with") else ""
        )
        cpu = entry.get("server_cpu_ms_per_request")
        if cpu is None:  # files written before the field existed: work it out from the runs
            per = [1000 * r["server_cpu_s"] / r["requests"] for r in entry["runs"] if r["requests"]]
            cpu = median(per) if per else None
        lines.append(
            _row(
                name,
                entry.get("server", ""),
                entry.get("connections", ""),
                f"{med['rps']:.1f}",
                f"{med['p50_ms']:.2f}",
                f"{med['p99_ms']:.2f}",
                "" if cpu is None else f"{cpu:.2f}",
                against,
                "" if ratio is None else f"{ratio:.2f}",
                note=f"{status} ({len(entry.get('runs', []))} runs)",
            )
        )
    lines.append("")
    lines.append(f"{'target':<36} {'measured':>9} {'bound':>9}  met")
    for t in results.get("targets", []):
        measured = "n/a" if t["measured"] is None else f"{t['measured']:.3f}"
        lines.append(
            f"{t['name']:<36} {measured:>9} {t['op'] + ' ' + str(t['bound']):>9}  "
            f"{'yes' if t['met'] else 'NO'}"
        )
    return "\n".join(lines)
