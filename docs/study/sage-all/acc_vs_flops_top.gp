# acc_vs_flops_top: acc_vs_flops with each panel's accuracy axis from 6 points below its best mean to 2 above (lines below it leave the panel)
# Rendered by `gnnscale report`; run `gnuplot acc_vs_flops_top.gp` in this folder to render it again
# (SVG and PNG). Data: the .dat files beside it.
if (!exists("suffix")) suffix = ""
do for [fmt in "svg png"] {
  if (fmt eq "svg") { set terminal svg size 1380,720 dynamic font "Helvetica,11" background "white" } else { set terminal pngcairo size 1380,720 font "Helvetica,10" background "white" }
  set output "acc_vs_flops_top.".fmt.suffix
  set multiplot layout 2,3
  set grid
  set key bottom right font ",8"
  set xlabel "FLOPs per epoch"
  set ylabel "test accuracy (%)"
  set logscale x
  set yrange [83.66:91.66]
  set title "dataset=amazon-photo epochs=100 features=l2 patience=20" font ",9"
  plot \
    "panel1.dat" index 0 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#000000" title "base", \
    "panel1.dat" index 1 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#d62728" title "d", \
    "panel1.dat" index 2 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#1f77b4" title "w", \
    "panel1.dat" index 3 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#2ca02c" title "r", \
    "panel1.dat" index 4 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#9467bd" title "dwr", \
    "panel1.dat" index 5 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#ff7f0e" title "dWr"
  set yrange [64.50:72.50]
  set title "dataset=citeseer features=rownorm" font ",9"
  plot \
    "panel2.dat" index 0 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#000000" title "base", \
    "panel2.dat" index 1 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#d62728" title "d", \
    "panel2.dat" index 2 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#1f77b4" title "w", \
    "panel2.dat" index 3 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#2ca02c" title "r", \
    "panel2.dat" index 4 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#9467bd" title "dwr", \
    "panel2.dat" index 5 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#ff7f0e" title "dWr"
  set yrange [85.96:93.96]
  set title "dataset=coauthor-cs epochs=100 features=rownorm patience=20" font ",9"
  plot \
    "panel3.dat" index 0 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#000000" title "base", \
    "panel3.dat" index 1 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#d62728" title "d", \
    "panel3.dat" index 2 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#1f77b4" title "w", \
    "panel3.dat" index 3 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#2ca02c" title "r", \
    "panel3.dat" index 4 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#9467bd" title "dwr", \
    "panel3.dat" index 5 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#ff7f0e" title "dWr"
  set yrange [75.18:83.18]
  set title "dataset=cora features=rownorm" font ",9"
  plot \
    "panel4.dat" index 0 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#000000" title "base", \
    "panel4.dat" index 1 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#d62728" title "d", \
    "panel4.dat" index 2 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#1f77b4" title "w", \
    "panel4.dat" index 3 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#2ca02c" title "r", \
    "panel4.dat" index 4 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#9467bd" title "dwr", \
    "panel4.dat" index 5 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#ff7f0e" title "dWr"
  set yrange [69.89:77.89]
  set title "dataset=facebook-page-page epochs=100 features=raw patience=20" font ",9"
  plot \
    "panel5.dat" index 0 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#000000" title "base", \
    "panel5.dat" index 1 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#d62728" title "d", \
    "panel5.dat" index 2 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#1f77b4" title "w", \
    "panel5.dat" index 3 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#2ca02c" title "r", \
    "panel5.dat" index 4 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#9467bd" title "dwr", \
    "panel5.dat" index 5 using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb "#ff7f0e" title "dWr"
  unset multiplot
  set output
}
