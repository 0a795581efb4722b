/* Comparators, median, mean and standard deviation (core/stats.h). */
#include "core/stats.h"

#include <math.h>
#include <stdlib.h>

int gs_compare_int64(const void *a, const void *b) {
  const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

int gs_compare_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double gs_median(double *x, int64_t n) {
  if (n < 1) return 0.0;
  qsort(x, (size_t)n, sizeof *x, gs_compare_double);
  return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

void gs_mean_std(const double *x, int64_t n, double *mean, double *std) {
  double m = 0.0, v = 0.0;
  for (int64_t i = 0; i < n; i++) m += x[i];
  if (n > 0) m /= (double)n;
  for (int64_t i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
  *mean = m;
  *std = n > 1 ? sqrt(v / (double)(n - 1)) : 0.0;
}
