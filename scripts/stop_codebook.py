"""Print the codebook table of docs/incidents.md from netvigil.incidents.vocab.

One row per code: the vocabulary, the code, its English label, and the STOP spellings that map
to it (every generation, in the columns read). ``tests/incidents/test_incidents_codebook.py``
keeps the table in docs/incidents.md equal to this output.

    python scripts/stop_codebook.py
"""

from __future__ import annotations

from netvigil.incidents.vocab import NATIONWIDE_WORDS, VOCABULARIES


def table() -> str:
    lines = [
        "| field (column) | code | label | STOP values mapped to it |",
        "|---|---|---|---|",
    ]
    for vocab in VOCABULARIES:
        for term in vocab.terms:
            spellings: list[str] = []
            for column in vocab.columns:
                raw = [
                    key for key, code in vocab.values.get(column, {}).items() if code == term.code
                ]
                if raw:
                    where = "" if column == vocab.columns[0] else f" (in `{column}`, 2016-2018)"
                    spellings.append(", ".join(f"`{r}`" for r in raw) + where)
            if vocab.name == "scope" and term.code == "national":
                spellings.append(
                    "or a multi-region (or unknown) scope whose area reads nationwide: "
                    + ", ".join(f"`{w}`" for w in NATIONWIDE_WORDS)
                )
            lines.append(
                f"| {vocab.label} (`{vocab.column}`) | `{term.code}` | {term.label} | "
                + ("; ".join(spellings) or "—")
                + " |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
