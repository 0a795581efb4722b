/* Softmax cross-entropy over a subset of nodes (the training mask), its gradient, and
 * accuracy, on logits held row-major n x c. */
#ifndef GS_LOSS_H
#define GS_LOSS_H

#include <stdint.h>

/* Mean cross-entropy of softmax(logits[i]) against labels[i] over the `count` nodes in
 * `nodes`. When dlogits is not NULL it receives the gradient of that mean (n x c, rows not
 * in `nodes` set to zero). Labels must be in [0, c) for the listed nodes. ~5·count·c FLOPs. */
double gs_softmax_xent(float *dlogits, const float *logits, const int32_t *labels,
                       const int64_t *nodes, int64_t count, int64_t n, int64_t c);

/* Fraction of the listed nodes whose argmax logit (first maximum) equals the label. */
double gs_accuracy(const float *logits, const int32_t *labels, const int64_t *nodes,
                   int64_t count, int64_t c);

#endif
