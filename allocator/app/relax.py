"""The relaxation a diagnosis proposes, applied to an instance (the app's "apply and solve again"
button): a budget, a national total, a lock, the national moves limit or a transition rate.
"""

from __future__ import annotations

import allocator
from allocator import InstanceError

__all__ = ["relaxation"]

#: Transition rates a finding's ``needed_rate`` replaces: family -> transition field.
_RATE_FIELDS = {
    "growth_limit": "max_growth_rate",
    "shrink_limit": "max_shrink_rate",
    "region_net_loss": "max_region_net_loss_rate",
}
_SLACK = 1e-6  # a little more than the smallest relaxation, so tolerances cannot undo it


def relaxation(inst: allocator.Instance, diagnosis: dict | None) -> tuple[allocator.Instance | None, list[str]]:
    """The instance with the diagnosis's relaxation applied, and what was changed, in words.

    Handled: a budget raised, a national total raised or lowered, a lock moved, the national
    moves limit raised, and the growth, shrink and regional net-loss rates raised to the rate
    the diagnosis says is needed. Returns ``(None, reasons)`` where a finding cannot be applied
    simply (for example a programme-length limit, or whole posts).
    """
    findings = (diagnosis or {}).get("findings") or []
    if not findings:
        return None, ["The diagnosis proposes no relaxation."]
    data = inst.to_dict()
    done: list[str] = []
    actions = (diagnosis or {}).get("actions") or []
    for n, f in enumerate(findings):
        fam, by, up = f.get("constraint"), f.get("relax_by"), f.get("direction") == "up"
        said = actions[n] if len(actions) == len(findings) else f.get("message", "")  # words first
        if by is None:
            return None, [f"Cannot apply this automatically: {said}"]
        by = float(by) * (1 + _SLACK) + _SLACK
        if fam == "budget":
            for b in data.get("budget", []):
                if b["year"] == f.get("year"):
                    old = b["amount"]
                    b["amount"] = old + by
                    done.append(f"Budget {b['year']}: {old:,.6g} → {b['amount']:,.6g}.")
                    break
            else:
                return None, [f"No budget for {f.get('year')} to raise."]
        elif fam == "national_total":
            entries = [
                n
                for n in data.get("national_posts", [])
                if n["specialty"] == f.get("specialty") and n["year"] == f.get("year") and "posts" in n
            ]
            if not entries:  # no entry: the total is the baseline's; state it, then change it
                ranged = any(
                    n["specialty"] == f.get("specialty") and n["year"] == f.get("year")
                    for n in data.get("national_posts", [])
                )
                d = allocator.problem_data(inst)
                if ranged or f.get("specialty") not in d.specialties or f.get("year") not in d.years:
                    return None, [f"Cannot change the national total of {f.get('specialty')} in {f.get('year')}."]
                total = float(d.national[d.specialties.index(f["specialty"]), d.years.index(f["year"])])
                entries = [{"specialty": f["specialty"], "year": f["year"], "posts": total}]
                data.setdefault("national_posts", []).append(entries[0])
            n = entries[0]
            old = n["posts"]
            n["posts"] = max(0.0, old + by if up else old - by)
            done.append(f"National total of {n['specialty']} in {n['year']}: {old:,.6g} → {n['posts']:,.6g} posts.")
        elif fam == "lock":
            for lk in data.get("locks", []):
                if (lk["region"], lk["specialty"], lk["year"]) == (f.get("region"), f.get("specialty"), f.get("year")):
                    old = lk["posts"]
                    lk["posts"] = max(0.0, old + by if up else old - by)
                    done.append(
                        f"Lock of {lk['specialty']} in {lk['region']}, {lk['year']}: {old:,.6g} → {lk['posts']:,.6g}."
                    )
                    break
            else:
                return None, ["The lock named by the diagnosis was not found."]
        elif fam == "national_moves":
            tr = data.setdefault("transition", {})
            old = tr.get("max_national_moves")
            if old is None:
                return None, ["No national moves limit to raise."]
            tr["max_national_moves"] = old + by
            done.append(
                f"Largest number of posts moved nationally in a year: {old:,.6g} → {tr['max_national_moves']:,.6g}."
            )
        elif fam in _RATE_FIELDS and f.get("needed_rate") is not None:
            tr = data.setdefault("transition", {})
            key = _RATE_FIELDS[fam]
            old = tr.get(key)
            new = float(f["needed_rate"]) * (1 + _SLACK) + _SLACK
            if new > 1 and fam == "growth_limit":  # a rate is a fraction: faster growth is an allowance
                allow = tr.get("growth_allowance") or 0.0
                tr["growth_allowance"] = allow + by
                done.append(f"Transition growth_allowance: {allow:,.6g} → {tr['growth_allowance']:,.6g} posts a year.")
            elif new > 1:
                return None, [f"Cannot apply this automatically (it needs a rate above 100 %): {said}"]
            elif old is None or new > old:
                tr[key] = new
                done.append(f"Transition {key}: {old if old is None else f'{100 * old:.3g}%'} → {100 * new:.4g}%.")
        else:
            return None, [f"Cannot apply this automatically: {said}"]
    try:
        relaxed = allocator.validate(data, f"{inst.name} (relaxed)", strict=False)
    except InstanceError as err:
        return None, [f"The relaxed instance is not valid: {err}"]
    return relaxed, done
