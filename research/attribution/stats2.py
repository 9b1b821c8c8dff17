from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
DATA_DIR = PROJECT.parent / "shared" / "data" / "attribution"
import json
docs = [json.loads(l) for l in open(str(DATA_DIR) + "/train.jsonl")]
src_in_content = cue_in_content = content_overlap = srcs = 0; src_after=0; src_other_sent=0
for d in docs:
    A = d["attributions"]
    C = [(a["content"]["start"], a["content"]["end"]) for a in A]
    for i, a in enumerate(A):
        for j,(s,e) in enumerate(C):
            if j!=i and s < C[i][1] and C[i][0] < e: content_overlap += 1
        if a["source"]:
            srcs += 1
            S = a["source"]
            if any(s < S["end"] and S["start"] < e for s, e in C): src_in_content += 1
            if S["start"] >= a["content"]["end"]: src_after += 1
        if a["cue"] and any(s < a["cue"]["end"] and a["cue"]["start"] < e for s, e in C): cue_in_content += 1
print("content overlaps", content_overlap, "sources", srcs, "src inside some content", src_in_content, "cue inside some content", cue_in_content, "src after content", src_after)
