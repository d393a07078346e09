#!/usr/bin/env bash
# A stream over the full corpus (make bench-stream): the first scan of a watched copy of the
# chinese-poetry package, then restarts with the whole corpus as state, each after one
# file of the copy changed, beside a batch ingest of the same corpus in the same run.
#
#   bash bench/stream/run.sh WENFLOW CORPUS_DIR [RUNS]
#
# 1. `wenflow ingest CORPUS -w 2` (the batch job, for scale);
# 2. `wenflow stream --watch COPY --once -w 2`: the first scan, committed in epochs of
#    --epoch-mb (16 MB);
# 3. RUNS times: one poem of one file of the copy rewritten, then `wenflow stream --watch
#    COPY --once -w 2`: the restart (the input log read back, every operator's state
#    recomputed from it, the index opened), one scan of the folder, and the epoch of the
#    change committed. Wall time and peak RSS (GNU time) of each; the medians.
# The stream's tables are then compared with a batch ingest of the changed copy.
set -euo pipefail
WENFLOW=$(realpath "$1"); CORPUS=$2; RUNS=${3:-3}
WORK=$(mktemp -d /tmp/wenflow-bench-stream.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export OMP_THREAD_LIMIT=1 WENFLOW_LOG=warn
measure() { # label, command...: prints "label wall_s rss_mb"
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" > "$WORK/out.txt" 2> "$WORK/err.txt" || { cat "$WORK/err.txt" >&2; exit 1; }
  read -r wall rss < "$WORK/time"
  printf '%-28s %8.2f s %8.0f MB\n' "$label" "$wall" "$((rss / 1024))"
  echo "$label $wall $((rss / 1024))" >> "$WORK/results"
}
cp -r "$CORPUS" "$WORK/copy"
echo "machine: $(getconf _NPROCESSORS_ONLN) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(date -u +%Y-%m-%d)"
echo "corpus: $(du -sh "$CORPUS" | cut -f1), $(find "$WORK/copy" -type f | wc -l) files"
measure "batch ingest -w 2" "$WENFLOW" ingest "$CORPUS" --out "$WORK/batch" -w 2
measure "stream first scan -w 2" "$WENFLOW" stream --watch "$WORK/copy" --once --out "$WORK/stream" -w 2
FILE="$WORK/copy/dist/quantangshi/poet.tang.0.json"
for i in $(seq 1 "$RUNS"); do
  # One poem of one file rewritten: an update of one document.
  python3 - "$FILE" "$i" <<'PY'
import json, sys
path, i = sys.argv[1], sys.argv[2]
poems = json.load(open(path))
poems[0]["paragraphs"] = [f"床前明月光，疑是地上霜。第{i}次修改。"]
json.dump(poems, open(path + ".tmp", "w"), ensure_ascii=False)
import os; os.replace(path + ".tmp", path)
PY
  measure "stream restart $i (1 change)" "$WENFLOW" stream --watch "$WORK/copy" --once --out "$WORK/stream" -w 2
  grep -E "epochs|documents" "$WORK/out.txt" | tr -s ' ' | paste -sd ' ' | sed 's/^/    /'
done
echo "medians:"
for label in "stream restart"; do
  grep "^$label" "$WORK/results" | awk '{print $(NF-1), $NF}' | sort -n | awk -v l="$label" '{w[NR]=$1; r[NR]=$2} END {m=int((NR+1)/2); printf "  %s: %.2f s, %d MB (of %d runs)\n", l, w[m], r[m], NR}'
done
# The stream's tables equal a batch ingest of the changed copy.
measure "batch ingest of the copy" "$WENFLOW" ingest "$WORK/copy" --out "$WORK/batch2" -w 2
for t in documents duplicates entities entity_counts failures clean_changes; do
  a=$("$WENFLOW" sql "SELECT * FROM $t" --data "$WORK/stream" --format csv | sort | md5sum | cut -c1-12)
  b=$("$WENFLOW" sql "SELECT * FROM $t" --data "$WORK/batch2" --format csv | sort | md5sum | cut -c1-12)
  [ "$a" = "$b" ] && echo "  $t: equal ($a)" || echo "  $t: DIFFERENT ($a vs $b)"
done
