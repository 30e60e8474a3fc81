"""Two small SVG charts for docs/comparison.md, written by hand so the comparison needs nothing
beyond Python's standard library: a line chart (throughput against message size, log axes) and
a grouped bar chart (latency percentiles)."""
import math
from xml.sax.saxutils import escape

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
W, H, LEFT, RIGHT, TOP, BOTTOM = 720, 420, 80, 190, 40, 60


def _svg(title, body):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
            f'font-family="sans-serif" font-size="12">\n<rect width="{W}" height="{H}" fill="white"/>\n'
            f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>\n{body}</svg>\n')


def _nice(value):
    if value >= 1e6:
        return f"{value / 1e6:g}M"
    if value >= 1e3:
        return f"{value / 1e3:g}k"
    return f"{value:g}"


def line_chart(title, x_label, y_label, series):
    """series: {name: [(x, y), ...]}, both axes logarithmic."""
    points = [p for s in series.values() for p in s if p[1] > 0]
    if not points:
        return _svg(title, "")
    x0, x1 = math.log10(min(p[0] for p in points)), math.log10(max(p[0] for p in points))
    y0, y1 = math.floor(math.log10(min(p[1] for p in points))), math.ceil(math.log10(max(p[1] for p in points)))
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def px(x):
        return LEFT + (math.log10(x) - x0) / (x1 - x0) * pw

    def py(y):
        return TOP + ph - (math.log10(y) - y0) / (y1 - y0) * ph

    out = [f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>']
    for e in range(int(y0), int(y1) + 1):
        y = py(10 ** e)
        out.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                   f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_nice(10 ** e)}</text>')
    for x in sorted({p[0] for p in points}):
        out.append(f'<text x="{px(x):.1f}" y="{TOP + ph + 18}" text-anchor="middle">{_nice(x)}</text>')
    out.append(f'<text x="{LEFT + pw / 2}" y="{H - 18}" text-anchor="middle">{escape(x_label)}</text>')
    out.append(f'<text x="18" y="{TOP + ph / 2}" text-anchor="middle" '
               f'transform="rotate(-90 18 {TOP + ph / 2})">{escape(y_label)}</text>')
    for i, (name, pts) in enumerate(series.items()):
        pts = [p for p in sorted(pts) if p[1] > 0]
        color = COLORS[i % len(COLORS)]
        if pts:
            path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
            out += [f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}"/>' for x, y in pts]
        ly = TOP + 10 + i * 20
        out.append(f'<rect x="{LEFT + pw + 12}" y="{ly}" width="12" height="12" fill="{color}"/>'
                   f'<text x="{LEFT + pw + 30}" y="{ly + 10}">{escape(name)}</text>')
    return _svg(title, "\n".join(out) + "\n")


def bar_chart(title, y_label, groups, bar_names):
    """groups: {group name: [value per bar]} - e.g. {broker: [p50, p99]}; linear axis from 0."""
    top = max((v for values in groups.values() for v in values if v), default=1) * 1.15
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    out = [f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>']
    for k in range(6):
        v = top * k / 5
        y = TOP + ph - v / top * ph
        out.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                   f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.0f}</text>')
    slot = pw / max(len(groups), 1)
    bar = slot * 0.8 / max(len(bar_names), 1)
    for g, (name, values) in enumerate(groups.items()):
        for b, v in enumerate(values):
            h = (v or 0) / top * ph
            x = LEFT + g * slot + slot * 0.1 + b * bar
            out.append(f'<rect x="{x:.1f}" y="{TOP + ph - h:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" '
                       f'fill="{COLORS[b % len(COLORS)]}"/>')
        out.append(f'<text x="{LEFT + g * slot + slot / 2:.1f}" y="{TOP + ph + 18}" text-anchor="middle">'
                   f'{escape(name)}</text>')
    for b, name in enumerate(bar_names):
        ly = TOP + 10 + b * 20
        out.append(f'<rect x="{LEFT + pw + 12}" y="{ly}" width="12" height="12" fill="{COLORS[b % len(COLORS)]}"/>'
                   f'<text x="{LEFT + pw + 30}" y="{ly + 10}">{escape(name)}</text>')
    out.append(f'<text x="18" y="{TOP + ph / 2}" text-anchor="middle" '
               f'transform="rotate(-90 18 {TOP + ph / 2})">{escape(y_label)}</text>')
    return _svg(title, "\n".join(out) + "\n")
