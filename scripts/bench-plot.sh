#!/usr/bin/env bash
# Draws the Markdown table scripts/bench.sh prints as an 800x400 PNG with
# gnuplot (Debian gnuplot-nox): transfers/s per mode and client count on
# the left, p99 latency on the right, one bar per mode. scripts/bench.sh
# --plot calls it with the table it just printed.
#
#   scripts/bench-plot.sh TABLE.md OUT.png [TITLE]
set -euo pipefail

TABLE=${1:?usage: bench-plot.sh TABLE.md OUT.png [TITLE]}
OUT=${2:?usage: bench-plot.sh TABLE.md OUT.png [TITLE]}
TITLE=${3:-xatm bench}
command -v gnuplot >/dev/null || {
  echo "bench-plot: gnuplot not found (apt-get install gnuplot-nox)" >&2
  exit 1
}

DATA=$(mktemp)
trap 'rm -f "$DATA"' EXIT
# One row per client count, one column per mode (in the table's order):
# transfers/s in the first block, p99 ms in the second. The columns are
# found by their headers, so extra columns (CPU time) do not matter.
awk -F'|' '
  function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
  /^\|/ && !header {
    for (i = 2; i < NF; i++) {
      h = trim($i)
      if (h == "clients") c = i
      if (h == "mode") m = i
      if (h == "transfers/s") t = i
      if (h == "p99 ms") p = i
    }
    header = 1
    next
  }
  /^\|[-:| ]+\|$/ { next }
  /^\|/ {
    n = trim($c); mode = trim($m)
    if (!(n in seen)) { seen[n] = 1; rows[++nrows] = n }
    if (!(mode in known)) { known[mode] = 1; modes[++nmodes] = mode }
    tps[n, mode] = trim($t); p99[n, mode] = trim($p)
  }
  END {
    if (!c || !m || !t || !p || !nrows) {
      print "bench-plot: no bench table in the input" > "/dev/stderr"
      exit 1
    }
    for (b = 0; b < 2; b++) {
      line = "clients"
      for (j = 1; j <= nmodes; j++) line = line " " modes[j]
      print line
      for (i = 1; i <= nrows; i++) {
        line = rows[i]
        for (j = 1; j <= nmodes; j++) {
          v = b == 0 ? tps[rows[i], modes[j]] : p99[rows[i], modes[j]]
          gsub(/,/, "", v)
          line = line " " (v == "" ? "NaN" : v)
        }
        print line
      }
      print ""; print ""
    }
  }' "$TABLE" >"$DATA"

MODES=$(head -1 "$DATA" | wc -w)
ROWS=$(awk 'NF == 0 { exit } { n++ } END { print n - 1 }' "$DATA")
gnuplot <<EOF
set terminal pngcairo size 800,400 font "sans,9"
set output "$OUT"
set multiplot layout 1,2 title "$TITLE"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top left
set yrange [0:*]
set xrange [-0.6:$ROWS - 0.4]
set xlabel "clients"
set title "transfers/s (higher is better)"
plot for [i=2:$MODES] "$DATA" index 0 using i:xtic(1) title columnheader(i)
set title "p99 latency, ms (lower is better)"
plot for [i=2:$MODES] "$DATA" index 1 using i:xtic(1) title columnheader(i)
unset multiplot
EOF
echo "bench-plot: wrote $OUT"
