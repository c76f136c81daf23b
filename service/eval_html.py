"""The evaluation report as one self-contained HTML page (``marja eval --report``).

No scripts, no external stylesheet, font or image: the chart is inline SVG, so the page opens
from a file, an e-mail or a CI artifact store without a network. Every text is escaped.
"""

from __future__ import annotations

from html import escape

from service.eval_schemas import EvalComparison, EvalReport, EvalRunSummary, EvalScores

_STYLE = """
body { font: 15px/1.45 system-ui, "Noto Sans", "Noto Naskh Arabic", sans-serif; margin: 2rem auto;
       max-width: 72rem; padding: 0 1rem; color: #1d2330; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border-bottom: 1px solid #d8dce4; padding: .3rem .6rem; text-align: start; vertical-align: top; }
td.n { text-align: end; font-variant-numeric: tabular-nums; }
.meta { color: #5a6272; }
.ok { color: #17663a; font-weight: 600; } .below { color: #b3261e; font-weight: 600; }
.gained, .better { color: #17663a; } .lost, .worse { color: #b3261e; }
.passage { color: #3b4252; font-size: .92em; }
svg text { font: 12px system-ui, sans-serif; fill: #1d2330; }
.bar1 { fill: #1f5fa8; } .bar3 { fill: #4a86c8; } .bar5 { fill: #7fb0e0; } .bar10 { fill: #b5d3f0; }
"""

_BAR_W, _GAP, _CHART_H, _LEFT, _TOP = 22, 18, 180, 44, 14


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def recall_chart(run: EvalRunSummary) -> str:
    """Grouped bars: recall at each cut-off, for all questions and for each language."""
    groups = [("all", run.overall), *run.by_lang.items()]
    ks = list(run.overall.recall)
    group_w = len(ks) * _BAR_W + _GAP
    width = _LEFT + len(groups) * group_w + 10
    height = _TOP + _CHART_H + 44
    parts = [
        f'<svg role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="Recall by language">'
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = _TOP + _CHART_H * (1 - tick)
        parts.append(f'<line x1="{_LEFT - 4}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d8dce4"/>')
        parts.append(f'<text x="{_LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{tick:.2f}</text>')
    for g, (name, scores) in enumerate(groups):
        x0 = _LEFT + g * group_w + _GAP / 2
        for i, k in enumerate(ks):
            value = scores.recall[k]
            h = _CHART_H * value
            x = x0 + i * _BAR_W
            parts.append(
                f'<rect class="bar{_e(k)}" x="{x:.1f}" y="{_TOP + _CHART_H - h:.1f}" width="{_BAR_W - 3}" '
                f'height="{h:.1f}"><title>{_e(name)} recall@{_e(k)}: {value:.3f}</title></rect>'
            )
        label_x = x0 + len(ks) * _BAR_W / 2
        parts.append(
            f'<text x="{label_x:.1f}" y="{_TOP + _CHART_H + 16}" text-anchor="middle">'
            f"{_e(name)} ({scores.questions})</text>"
        )
    legend_x = _LEFT
    for k in ks:
        parts.append(
            f'<rect class="bar{_e(k)}" x="{legend_x}" y="{_TOP + _CHART_H + 28}" width="10" height="10"/>'
            f'<text x="{legend_x + 14}" y="{_TOP + _CHART_H + 37}">recall@{_e(k)}</text>'
        )
        legend_x += 84
    parts.append("</svg>")
    return "".join(parts)


def _scores_rows(run: EvalRunSummary) -> str:
    ks = list(run.overall.recall)
    head = "<tr><th></th><th>questions</th>" + "".join(f"<th>R@{_e(k)}</th>" for k in ks)
    head += f"<th>MRR@{_e(run.mrr_at)}</th></tr>"
    groups: list[tuple[str, EvalScores]] = [("all", run.overall), *run.by_lang.items()]
    rows = [
        f"<tr><th>{_e(name)}</th><td class=n>{s.questions}</td>"
        + "".join(f"<td class=n>{_num(s.recall[k])}</td>" for k in ks)
        + f"<td class=n>{_num(s.mrr)}</td></tr>"
        for name, s in groups
    ]
    return f"<table>{head}{''.join(rows)}</table>"


def _about(run: EvalRunSummary) -> str:
    return (
        f"<p class=meta>{_e(run.data_dir)} · index {_e(run.version or '(empty)')} · "
        f"{run.documents} documents · model {_e(run.model)} · top {run.top_k}</p>"
    )


def _misses(report: EvalReport) -> str:
    misses = [r for r in report.results if r.miss]
    if not misses:
        return "<p>None: every answerable question's first passage is a hit.</p>"
    rows = []
    for r in misses:
        first = (
            f"<b>{_e(r.first.doc_id)}</b> {r.first.start}–{r.first.end}"
            f'<div class=passage dir="auto">{_e(r.first.text)}</div>'
            if r.first
            else "–"
        )
        rows.append(
            f"<tr><td>{_e(r.id or r.where)}</td><td>{_e(r.lang)}</td>"
            f'<td dir="auto">{_e(r.question)}</td><td dir="auto">{_e(r.expected)}</td>'
            f"<td class=n>{'–' if r.rank is None else r.rank}</td><td>{first}</td></tr>"
        )
    head = "".join(f"<th>{h}</th>" for h in ("#", "lang", "question", "a hit", "rank", "first passage"))
    head = f"<tr>{head}</tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _comparison(run: EvalRunSummary, comparison: EvalComparison) -> str:
    other = comparison.other
    rows = []
    for k, before in run.overall.recall.items():
        after = other.overall.recall.get(k)
        if after is not None:
            rows.append(
                f"<tr><th>R@{_e(k)}</th><td class=n>{_num(before)}</td><td class=n>{_num(after)}</td>"
                f"<td class=n>{after - before:+.3f}</td></tr>"
            )
    rows.append(
        f"<tr><th>MRR</th><td class=n>{_num(run.overall.mrr)}</td><td class=n>{_num(other.overall.mrr)}</td>"
        f"<td class=n>{other.overall.mrr - run.overall.mrr:+.3f}</td></tr>"
    )
    counts = " · ".join(f'<span class="{_e(s)}">{n} {_e(s)}</span>' for s, n in comparison.counts.items())
    changes = "".join(
        f'<tr><td class="{_e(c.status)}">{_e(c.status)}</td><td>{_e(c.id or c.where)}</td>'
        f'<td>{_e(c.lang)}</td><td dir="auto">{_e(c.question)}</td>'
        f"<td class=n>{'–' if c.before is None else c.before}</td>"
        f"<td class=n>{'–' if c.after is None else c.after}</td></tr>"
        for c in comparison.changes
    )
    return (
        f"<h2>Compared with {_e(other.data_dir)}</h2>{_about(other)}"
        f"<table><tr><th></th><th>this</th><th>compared</th><th>change</th></tr>{''.join(rows)}</table>"
        f"<p>{counts}</p>"
        + (
            "<table><tr><th>status</th><th>#</th><th>lang</th><th>question</th>"
            f"<th>rank here</th><th>rank there</th></tr>{changes}</table>"
            if changes
            else ""
        )
    )


def eval_html(report: EvalReport) -> str:
    """The whole page."""
    run = report.run
    rates = ""
    if run.answered_rate is not None:
        rates = f"<p>Answered {_pct(run.answered_rate)} of the answerable questions"
        if run.abstained_rate is not None:
            rates += f"; abstained on {_pct(run.abstained_rate)} of the unanswerable ones"
        rates += ".</p>"
    thresholds = "".join(
        f"<li>{_e(t.metric)} {'not measured (raise --top-k)' if t.value is None else _num(t.value)} "
        f"(minimum {_num(t.minimum)}): "
        f'<span class="{"ok" if t.passed else "below"}">{"ok" if t.passed else "below"}</span></li>'
        for t in report.thresholds
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>marja eval: {_e(report.question_set)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>marja eval: {_e(report.question_set)}</h1>{_about(run)}"
        f"<p>{run.questions} questions, {run.questions - run.unanswerable} answerable. "
        f"Latency per question: p50 {run.latency_p50_ms:.0f} ms, p95 {run.latency_p95_ms:.0f} ms.</p>"
        f"{rates}"
        + (f"<ul>{thresholds}</ul>" if thresholds else "")
        + f"<h2>Recall by language</h2>{recall_chart(run)}{_scores_rows(run)}"
        f"<h2>Misses</h2>{_misses(report)}"
        + (_comparison(run, report.comparison) if report.comparison else "")
        + "</body></html>\n"
    )
