"""The tantivy-py peer, on the same documents and queries as wenflow's index.

    python bench/search/tantivy_py.py build DOCS.jsonl INDEX_DIR --grams 2
    python bench/search/tantivy_py.py query INDEX_DIR QUERIES.jsonl --grams 2 [--runs 3]

`build` indexes every `{"id", "text"}` line of DOCS.jsonl with tantivy-py's n-gram
tokenizer (`--grams 2`: character bigrams, `--grams 1`: unigrams), as a tantivy-py user
would index Chinese without a CJK analyzer; the writer uses its defaults (all cores).
Time it from outside (bench/peers/peak_rss.py).

`query` runs each query form (`trad`, `simp`) of QUERIES.jsonl through tantivy-py's query
parser on the `text` field, top 10 with the match count (tantivy-py's default), and
reports JSON: top-1 and top-10 accuracy, and p50 and p99 latency from the query string
(parse and search) over a warm-up pass and `--runs` timed passes; plus single-term queries
(the first `--grams` characters of each span as written in the corpus), as wenflow-bench
times them.
tantivy's n-gram tokenizer gives every token position 0, so a multi-gram query matches
the documents holding all of its n-grams, in any order.
"""

import argparse
import json
import time

import tantivy


def analyzer(grams):
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.ngram(min_gram=grams, max_gram=grams, prefix_only=False)).build()


def schema(grams):
    b = tantivy.SchemaBuilder()
    b.add_text_field("doc_id", stored=True, tokenizer_name="raw")
    b.add_text_field("text", stored=False, tokenizer_name=f"gram{grams}")
    return b.build()


def build(a):
    index = tantivy.Index(schema(a.grams), path=a.index)
    index.register_tokenizer(f"gram{a.grams}", analyzer(a.grams))
    writer = index.writer()
    with open(a.docs, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            writer.add_document(tantivy.Document(doc_id=d["id"], text=d["text"]))
    writer.commit()
    writer.wait_merging_threads()


def percentile(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, round((len(v) - 1) * p))] if v else float("nan")


def query(a):
    index = tantivy.Index.open(a.index)
    index.register_tokenizer(f"gram{a.grams}", analyzer(a.grams))
    searcher = index.searcher()
    qs = [json.loads(line) for line in open(a.queries, encoding="utf-8") if line.strip()]
    report = {"queries": len(qs), "documents": searcher.num_docs}

    def timed(make):
        for q in qs:
            searcher.search(make(q), 10)
        ms = []
        for _ in range(a.runs):
            for q in qs:
                t = time.perf_counter()
                searcher.search(make(q), 10)
                ms.append((time.perf_counter() - t) * 1e3)
        return percentile(ms, 0.5), percentile(ms, 0.99)

    for form in ("trad", "simp"):
        top1 = top10 = 0
        for q in qs:
            hits = [searcher.doc(addr)["doc_id"][0] for _, addr in searcher.search(index.parse_query(q[form], ["text"]), 10).hits]
            top1 += bool(hits) and hits[0] == q["target"]
            top10 += q["target"] in hits
        p50, p99 = timed(lambda q: index.parse_query(q[form], ["text"]))
        report[form] = {"top1": top1 / len(qs), "top10": top10 / len(qs), "p50_ms": p50, "p99_ms": p99}
    p50, p99 = timed(lambda q: tantivy.Query.term_query(index.schema, "text", q["span"][: a.grams]))
    report["term"] = {"p50_ms": p50, "p99_ms": p99}
    print(json.dumps(report))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("docs")
    b.add_argument("index")
    b.add_argument("--grams", type=int, default=2)
    q = sub.add_parser("query")
    q.add_argument("index")
    q.add_argument("queries")
    q.add_argument("--grams", type=int, default=2)
    q.add_argument("--runs", type=int, default=3)
    a = p.parse_args()
    build(a) if a.cmd == "build" else query(a)


if __name__ == "__main__":
    main()
