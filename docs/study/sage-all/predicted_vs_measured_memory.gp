# predicted_vs_measured_memory: the cost model's peak RSS against the measured one, one point per run
# Rendered by `gnnscale report`; run `gnuplot predicted_vs_measured_memory.gp` here to render it again (SVG and PNG).
if (!exists("suffix")) suffix = ""
do for [fmt in "svg png"] {
  if (fmt eq "svg") { set terminal svg size 560,460 dynamic font "Helvetica,11" background "white" } else { set terminal pngcairo size 560,460 font "Helvetica,10" background "white" }
  set output "predicted_vs_measured_memory.".fmt.suffix
  set grid
  set logscale xy
  set key top left font ",9"
  set size ratio -1
  set xrange [9.3625:151.631]
  set yrange [9.3625:151.631]
  set xlabel "predicted peak RSS (MiB)"
  set ylabel "measured peak RSS (MiB)"
  set title "cost model against measurement"
  plot \
    "predicted.dat" index 0 using 1:2 with points pt 7 ps 0.6 lc rgb "#d62728" title "cora", \
    "predicted.dat" index 1 using 1:2 with points pt 7 ps 0.6 lc rgb "#1f77b4" title "citeseer", \
    "predicted.dat" index 2 using 1:2 with points pt 7 ps 0.6 lc rgb "#2ca02c" title "coauthor-cs", \
    "predicted.dat" index 3 using 1:2 with points pt 7 ps 0.6 lc rgb "#9467bd" title "facebook-page-page", \
    "predicted.dat" index 4 using 1:2 with points pt 7 ps 0.6 lc rgb "#ff7f0e" title "amazon-photo", \
    x with lines dt 2 lc rgb "#555555" title "measured = predicted"
  set output
}
