/* Softmax cross-entropy with the log-sum-exp shift, accumulated in double per node and
 * summed in node order (deterministic). */
#include "gnn/loss.h"

#include <math.h>
#include <string.h>

#include "core/flops.h"

double gs_softmax_xent(float *dlogits, const float *logits, const int32_t *labels,
                       const int64_t *nodes, int64_t count, int64_t n, int64_t c) {
  GS_KERNEL_BEGIN();
  if (dlogits) memset(dlogits, 0, (size_t)(n * c) * sizeof *dlogits);
  double total = 0.0;
  const double inv = count > 0 ? 1.0 / (double)count : 0.0;
  for (int64_t t = 0; t < count; t++) {
    int64_t i = nodes[t];
    const float *z = logits + i * c;
    float zmax = z[0];
    for (int64_t j = 1; j < c; j++) zmax = z[j] > zmax ? z[j] : zmax;
    double sum = 0.0;
    for (int64_t j = 0; j < c; j++) sum += exp((double)(z[j] - zmax));
    double log_sum = log(sum) + (double)zmax;
    total += log_sum - (double)z[labels[i]];
    if (dlogits) {
      float *d = dlogits + i * c;
      for (int64_t j = 0; j < c; j++) d[j] = (float)(exp((double)z[j] - log_sum) * inv);
      d[labels[i]] -= (float)inv;
    }
  }
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, 5 * count * c);
  return count > 0 ? total * inv : 0.0;
}

double gs_accuracy(const float *logits, const int32_t *labels, const int64_t *nodes,
                   int64_t count, int64_t c) {
  if (count == 0) return 0.0;
  int64_t correct = 0;
  for (int64_t t = 0; t < count; t++) {
    int64_t i = nodes[t];
    const float *z = logits + i * c;
    int64_t best = 0;
    for (int64_t j = 1; j < c; j++)
      if (z[j] > z[best]) best = j;
    correct += best == labels[i];
  }
  return (double)correct / (double)count;
}
