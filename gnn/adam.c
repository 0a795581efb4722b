/* Adam update in the order of PyTorch 1.13's single-tensor implementation. */
#include "gnn/adam.h"

#include <math.h>

#include "core/flops.h"

gs_adam_config gs_adam_default(void) {
  gs_adam_config cfg = {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
  return cfg;
}

void gs_adam_step(float *params, const float *grads, float *m, float *v, int64_t count,
                  int64_t t, const gs_adam_config *cfg) {
  GS_KERNEL_BEGIN();
  const float b1 = (float)cfg->beta1, b2 = (float)cfg->beta2;
  const double bc1 = 1.0 - pow(cfg->beta1, (double)t);
  const double bc2 = 1.0 - pow(cfg->beta2, (double)t);
  const float step = (float)(cfg->lr / bc1);
  const float bc2_sqrt = (float)sqrt(bc2);
  const float eps = (float)cfg->eps;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; i++) {
    float g = grads[i];
    m[i] = b1 * m[i] + (1.0f - b1) * g;
    v[i] = b2 * v[i] + (1.0f - b2) * g * g;
    float denom = sqrtf(v[i]) / bc2_sqrt + eps;
    params[i] -= step * m[i] / denom;
  }
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, 10 * count);
}

void gs_weight_decay(float *grads, const float *params, int64_t count, double decay) {
  GS_KERNEL_BEGIN();
  const float d = (float)decay;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; i++) grads[i] += d * params[i];
  GS_KERNEL_END(GS_FLOPS_ELEMENTWISE, 2 * count);
}
