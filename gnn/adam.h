/* Adam (Kingma & Ba 2015) with bias correction, as PyTorch's torch.optim.Adam: weight decay
 * is L2 added to the gradient (not AdamW), applied by the caller to the ranges it chooses. */
#ifndef GS_ADAM_H
#define GS_ADAM_H

#include <stdint.h>

typedef struct {
  double lr;    /* 0.01 */
  double beta1; /* 0.9 */
  double beta2; /* 0.999 */
  double eps;   /* 1e-8 */
} gs_adam_config;

gs_adam_config gs_adam_default(void);

/* One step t (1-based) over `count` parameters: m = b1·m + (1-b1)·g, v = b2·v + (1-b2)·g²,
 * p -= lr · (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps). About 10 FLOPs per parameter. */
void gs_adam_step(float *params, const float *grads, float *m, float *v, int64_t count,
                  int64_t t, const gs_adam_config *cfg);

/* grads += decay · params over `count` elements (the L2 term of the loss decay/2·‖p‖²). */
void gs_weight_decay(float *grads, const float *params, int64_t count, double decay);

#endif
