/* Small statistics and orderings used across the modules, described once: qsort comparators
 * for int64 and double, the median, and the mean with the sample standard deviation. */
#ifndef GS_STATS_H
#define GS_STATS_H

#include <stdint.h>

/* Ascending order for qsort over int64_t and double elements. */
int gs_compare_int64(const void *a, const void *b);
int gs_compare_double(const void *a, const void *b);

/* Median of x[0..n): the middle element, or the mean of the two middle ones for even n;
 * 0 for n < 1. Sorts x in place (O(n log n)). */
double gs_median(double *x, int64_t n);

/* Mean of x[0..n) and its sample standard deviation (0 for n < 2); both 0 for n < 1. */
void gs_mean_std(const double *x, int64_t n, double *mean, double *std);

#endif
