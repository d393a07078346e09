"""datatrove's four-stage MinHash deduplication over the exported input, local executor.

    python bench/peers/datatrove_minhash.py INPUT_DIR WORK_DIR OUT.tsv [--ngram 2]
        [--bands 12] [--rows 10] [--tasks 2]

Stages as in datatrove's own example: signatures (JsonlReader → MinhashDedupSignature),
buckets (one task per band), cluster (union of every pair found in a bucket, no
verification; `save_cluster_id`), and filter (`load_cluster_ids`, removed documents to an
exclusion writer). The word tokenizer splits on spaces, so with the exported input its
tokens are Han characters and `n_grams` is the character n-gram size; datatrove's own text
simplification (lower case, punctuation removed, NFKC) leaves Han characters unchanged.
64-bit xxhash shingles, datatrove's default. Writes `doc_id<TAB>cluster_id` for every
document in a cluster of two or more, read back from the documents' `minhash_cluster_id`.
"""

import argparse
import json
import shutil
from pathlib import Path

from datatrove.executor.local import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter
from datatrove.utils.word_tokenizers import WordTokenizer

from common import write_clusters


class SpaceTokenizer(WordTokenizer):
    """Tokens are the space-separated characters of the exported input."""

    def word_tokenize(self, text):
        return text.split()

    def sent_tokenize(self, text):
        return [text]

    def span_tokenize(self, text):
        spans, start = [], 0
        for token in text.split():
            start = text.index(token, start)
            spans.append((start, start + len(token)))
            start += len(token)
        return spans


def main():
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("work")
    p.add_argument("out")
    p.add_argument("--ngram", type=int, default=2)
    p.add_argument("--bands", type=int, default=12)
    p.add_argument("--rows", type=int, default=10)
    p.add_argument("--tasks", type=int, default=2)
    a = p.parse_args()
    work = Path(a.work)
    shutil.rmtree(work, ignore_errors=True)
    config = MinhashConfig(n_grams=a.ngram, num_buckets=a.bands, hashes_per_bucket=a.rows)
    reader = lambda: JsonlReader(a.input, glob_pattern="*.jsonl")
    logs = str(work / "logs")
    stage1 = LocalPipelineExecutor(
        pipeline=[reader(), MinhashDedupSignature(str(work / "sigs"), config=config, language=SpaceTokenizer())],
        tasks=a.tasks,
        workers=a.tasks,
        logging_dir=f"{logs}/1",
    )
    stage2 = LocalPipelineExecutor(
        pipeline=[MinhashDedupBuckets(str(work / "sigs"), str(work / "buckets"), config=config)],
        tasks=config.num_buckets,
        workers=a.tasks,
        logging_dir=f"{logs}/2",
        depends=stage1,
    )
    stage3 = LocalPipelineExecutor(
        pipeline=[MinhashDedupCluster(str(work / "buckets"), str(work / "remove"), config=config, save_cluster_id=True)],
        tasks=1,
        logging_dir=f"{logs}/3",
        depends=stage2,
    )
    stage4 = LocalPipelineExecutor(
        pipeline=[
            reader(),
            MinhashDedupFilter(
                str(work / "remove"),
                exclusion_writer=JsonlWriter(str(work / "removed"), compression=None),
                load_cluster_ids=True,
            ),
            JsonlWriter(str(work / "kept"), compression=None),
        ],
        tasks=a.tasks,
        workers=a.tasks,
        logging_dir=f"{logs}/4",
        depends=stage3,
    )
    stage4.run()
    groups = {}
    for path in list((work / "kept").glob("*.jsonl")) + list((work / "removed").glob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            r = json.loads(line)
            cid = r["metadata"].get("minhash_cluster_id", -1)
            if cid != -1:
                groups.setdefault(cid, []).append(r["id"])
    print(f"{write_clusters(groups.values(), a.out)} documents in clusters")


if __name__ == "__main__":
    main()
