"""The top of a feedback page: the score table, the notes, and each graded cell's score.

``score_table`` lists the autograded parts (title, points out of the maximum,
the check's message), then the written questions (points, or "not graded
yet", and the instructor's comment, rendered as Markdown with math), then the
total ("Total so far" while written answers wait for their points).  Each row
links to the graded cell, named by its label on the page.  ``check_score``
refuses a score the page cannot show.  Every string is escaped or sanitised.
"""
import html
import math
import re

from .feedback_cells import is_shown
from .feedback_markup import markdown_to_html


def _num(x):
    """A score as the page shows it: at most two decimals, no trailing zeros."""
    return f"{round(float(x), 2):g}"


def plain_text(text):
    """A string from the grader, shown as text (control characters become spaces)."""
    return html.escape(re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", str(text or "")))


def check_score(kind, score, optional):
    """Raise ValueError, saying what is wrong, for a score the page cannot show."""
    name = f"{kind} {score.grade_id!r}"
    top = score.max_points
    if not isinstance(score.grade_id, str) or not score.grade_id:
        raise ValueError(f"{kind} with grade id {score.grade_id!r}: give a non-empty string")
    if not isinstance(top, (int, float)) or not math.isfinite(top) or top < 0:
        raise ValueError(f"{name}: max_points must be a finite number >= 0, not {top!r}")
    points = score.points
    if points is None and optional:
        return
    if not isinstance(points, (int, float)) or not math.isfinite(points):
        raise ValueError(f"{name}: points must be a finite number"
                         + (" or None (not graded yet)" if optional else "") + f", not {points!r}")
    if not 0 <= points <= top:
        raise ValueError(f"{name}: {points!r} points is outside 0..{top!r}; "
                         "check the score (or its maximum)")


def grade_cells(nb):
    """``{grade id: index in nb.cells}`` for the cells nbgrader grades."""
    found = {}
    for index, cell in enumerate(nb.get("cells", [])):
        meta = cell.get("metadata") if isinstance(cell, dict) else None
        grader = meta.get("nbgrader") if isinstance(meta, dict) else None
        grade_id = grader.get("grade_id") if isinstance(grader, dict) else None
        if isinstance(grade_id, str) and is_shown(cell):
            found.setdefault(grade_id, index)
    return found


def _state(points, top):
    if points is None:
        return "pending"
    return "full" if points >= top else ("partial" if points > 0 else "none")


def _where(grade_id, cells, labels, anchors):
    """A link to the cell graded as ``grade_id`` (its label), or '' when it is not shown."""
    index = cells.get(grade_id)
    if index is None:
        return ""
    return (f' <a class="where" href="#{anchors[index]}">{html.escape(labels[index])}</a>')


def _score_rows(parts, written, places):
    rows = []
    if parts:
        rows.append('<tbody class="auto"><tr class="group"><th colspan="3" scope="rowgroup">'
                    'Autograded parts</th></tr>')
        for p in parts:
            rows.append(f'<tr class="{_state(p.points, p.max_points)}"><th scope="row">'
                        f'{plain_text(p.title)}{_where(p.grade_id, *places)}</th>'
                        f'<td class="points">{_num(p.points)} / {_num(p.max_points)}</td>'
                        f'<td class="message">{plain_text(p.message)}</td></tr>')
        rows.append("</tbody>")
    if written:
        rows.append('<tbody class="written"><tr class="group"><th colspan="3" '
                    'scope="rowgroup">Written answers</th></tr>')
        for w in written:
            shown = ("not graded yet" if w.points is None
                     else f"{_num(w.points)} / {_num(w.max_points)}")
            rows.append(f'<tr class="{_state(w.points, w.max_points)}"><th scope="row">'
                        f'{plain_text(w.title)}{_where(w.grade_id, *places)}</th>'
                        f'<td class="points">{shown}</td>'
                        f'<td class="message">{markdown_to_html(w.comment or "")}</td></tr>')
        rows.append("</tbody>")
    return rows


def _total_row(parts, written):
    got = sum(p.points for p in parts) + sum(w.points for w in written if w.points is not None)
    top = sum(p.max_points for p in parts) + sum(w.max_points for w in written)
    pending = sum(w.max_points for w in written if w.points is None)
    note = (f"Written answers worth {_num(pending)} point{'s' if pending != 1 else ''} "
            "are not graded yet." if pending else "")
    label = "Total so far" if pending else "Total"
    return (f'<tfoot><tr><th scope="row">{label}</th><td class="points">{_num(got)} / '
            f'{_num(top)}</td><td class="message">{note}</td></tr></tfoot>')


def score_table(student, title, parts, written, places):
    """The score table; ``places``: ``(grade_cells(nb), labels, anchors)`` to link rows to cells."""
    return "".join([
        '<table class="scores" id="scores"><caption>',
        f'<h1>{plain_text(title)}</h1><p class="student">Feedback for <strong>{plain_text(student)}'
        '</strong></p></caption>',
        '<thead><tr><th scope="col">Part</th><th scope="col">Points</th>'
        '<th scope="col">Comment</th></tr></thead>',
        *_score_rows(parts, written, places), _total_row(parts, written), "</table>"])


def notes_section(notes):
    """The notes for the student (plain text), or '' when there are none."""
    if not notes:
        return ""
    items = "".join(f"<li>{plain_text(n)}</li>" for n in notes)
    return f'<section class="notes"><h2>Notes</h2><ul>{items}</ul></section>'


def cell_badges(parts, written, cells):
    """``{index in nb.cells: HTML of the score shown on that cell}``."""
    badges = {}
    for score, what in [(p, "Graded part") for p in parts] + [(w, "Written answer")
                                                               for w in written]:
        index = cells.get(score.grade_id)
        if index is None:
            continue
        points = ("not graded yet" if score.points is None
                  else f"{_num(score.points)} / {_num(score.max_points)} points")
        comment = getattr(score, "comment", "")
        extra = f'<div class="comment">{markdown_to_html(comment)}</div>' if comment else ""
        state = _state(score.points, score.max_points)
        badges[index] = (f'<div class="badge {state}"><strong>{what}:</strong> '
                         f"{plain_text(score.title)} · {points}{extra}</div>")
    return badges
