"""Evaluation maths: per-level precision / recall / F1 / support, accuracy, confusion matrix.

Pure: takes `(expected, predicted)` level pairs, returns plain values.
"""

from triage.engine import LEVELS

# Most severe first: the order a reader cares about.
REPORT_ORDER = tuple(reversed(LEVELS))


def evaluate(pairs: list[tuple[str, str]]) -> dict:
    confusion = {gold: dict.fromkeys(REPORT_ORDER, 0) for gold in REPORT_ORDER}
    for gold, predicted in pairs:
        confusion[gold][predicted] += 1
    per_level = {}
    for level in REPORT_ORDER:
        tp = confusion[level][level]
        predicted = sum(confusion[g][level] for g in REPORT_ORDER)
        support = sum(confusion[level].values())
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_level[level] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": support,
        }
    total = len(pairs)
    correct = sum(confusion[level][level] for level in REPORT_ORDER)
    return {
        "per_level": per_level,
        "accuracy": round(correct / total, 4) if total else 0.0,
        "confusion": confusion,
        "total": total,
    }


def format_report(report: dict, *, title: str = "") -> str:
    lines = [title] if title else []
    lines.append(f"{'level':<8}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
    for level, m in report["per_level"].items():
        lines.append(
            f"{level:<8}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}"
            f"{m['support']:>10d}"
        )
    lines.append(f"accuracy {report['accuracy']:.3f} over {report['total']} texts")
    lines.append("")
    lines.append("confusion (rows: expected, columns: predicted)")
    lines.append(" " * 8 + "".join(f"{lv:>8}" for lv in REPORT_ORDER))
    for gold, row in report["confusion"].items():
        lines.append(f"{gold:<8}" + "".join(f"{row[p]:>8d}" for p in REPORT_ORDER))
    return "\n".join(lines)
