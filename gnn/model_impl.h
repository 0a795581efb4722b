/* Declarations shared by gnn/model.c (layout, GCN layers, the model's life) and gnn/family.c
 * (the SAGE, GIN and linear layers, APPNP's propagation, SGC's precomputed input): the
 * model's private struct and the roles of the buffers its layout lists. Library-internal. */
#ifndef GS_MODEL_IMPL_H
#define GS_MODEL_IMPL_H

#include "core/rng.h"
#include "gnn/model.h"
#include "sparse/csr.h"

/* Roles of the buffers the layout lists; the model finds its buffers by these indices. */
typedef struct {
  int params, grads, adam_m, adam_v;
  int input_dropped;                 /* dense layer-0 input after dropout, or -1 */
  int features_t, features_perm;     /* sparse input: Xᵀ arrays and their permutation */
  int features_t_rowptr, features_t_val;
  int hin[GS_MAX_LAYERS];            /* input of layer l >= 1 after dropout */
  int pre[GS_MAX_LAYERS];            /* residual mode without norm: pre-activation Y_l */
  int xhat[GS_MAX_LAYERS], rstd[GS_MAX_LAYERS]; /* LayerNorm cache */
  int agg[GS_MAX_LAYERS];            /* aggregate-first: Â·Hin_l (GIN: + ε·Hin_l) */
  int hbuf[2];                       /* residual mode: undropped H, ping-pong */
  int work;                          /* T = H·W, dT, dG */
  int identity_w;                    /* identity map: W_eff then dW_eff of one layer (2 h x h) */
  int grad[3];                       /* gradient flow between layers */
  int logits, dlogits;
  /* families (gnn/family.c) */
  int mlp[GS_MAX_LAYERS];            /* GIN: U = relu(V), the MLP's hidden activation */
  int mlp_in[GS_MAX_LAYERS];         /* GIN transform-first: T = Hin·W1, for dε */
  int mlp_xhat[GS_MAX_LAYERS], mlp_rstd[GS_MAX_LAYERS]; /* GIN: its BatchNorm's cache (if on) */
  int work2;                         /* SAGE: dZ·W_selfᵀ; GIN: dG or dT */
  int prop[3];                       /* APPNP: H, and ping-pong steps forward and backward */
  int smoothed;                      /* SGC: Â^K X held dense (n x f) */
  int smoothed_rowptr, smoothed_col, smoothed_val; /* SGC: Â^K X held as CSR */
  int block[2];                      /* SGC: column blocks while computing it */
} gs__buffer_roles;

struct gs_model {
  gs_model_layout layout;
  gs__buffer_roles roles;
  const gs_graph *graph;
  const gs_features *x;
  void *buf[GS_MAX_BUFFERS];
  gs_csr xt;        /* sparse input: Xᵀ (or SGC's (Â^K X)ᵀ), arrays owned through buf[] */
  gs_csr smoothed;  /* SGC's Â^K X held as CSR, arrays owned through buf[] */
  int64_t *perm;
  int64_t nodes;    /* rows of the bound graph: layout.shape.nodes, or fewer after
                       gs_model_bind (a Cluster-GCN batch in buffers sized for the largest) */
};

static inline float *gs__buf(gs_model *m, int role) {
  return role >= 0 ? (float *)m->buf[role] : NULL;
}

static inline uint64_t gs__dropout_stream(int64_t epoch, int32_t layer) {
  return gs_rng_stream(GS_RNG_STREAM_DROPOUT, (uint64_t)epoch, (uint64_t)layer);
}

/* The dense features layer 0 reads before dropout: SGC's Â^K X, else X. */
static inline const float *gs__dense_input(gs_model *m) {
  return m->roles.smoothed >= 0 ? gs__buf(m, m->roles.smoothed) : m->x->dense;
}

/* Layer 0's CSR input: SGC's Â^K X, else the features. */
static inline const gs_csr *gs__sparse_input(const gs_model *m) {
  return m->roles.smoothed_rowptr >= 0 ? &m->smoothed : &m->x->sparse;
}

/* The dense input of layer l (its dropped copy for l = 0 when training with dropout). */
static inline const float *gs__layer_input(gs_model *m, int32_t l, bool training) {
  if (l >= 1) return gs__buf(m, m->roles.hin[l]);
  if (training && m->roles.input_dropped >= 0) return gs__buf(m, m->roles.input_dropped);
  return gs__dense_input(m);
}

/* Family parts of gs_model_layout_make (gnn/family.c). batchnorm: GIN's MLP has BatchNorm
 * (its scale γ follows ε). */
void gs__family_params(gs_layer_dims *d, gs_model_family family, bool batchnorm,
                       int64_t *offset);
/* Adds layer l's conv FLOPs (product, aggregation, bias; not the hidden layers' shared
 * norm, ReLU and dropout) to the training and evaluation counts. */
void gs__family_layer_flops(const gs_model_layout *L, int32_t l, gs_flops *train,
                            gs_flops *eval);
/* APPNP's propagation, both passes, into the training and evaluation counts. */
void gs__family_propagation_flops(const gs_model_layout *L, gs_flops *train, gs_flops *eval);

/* Z (n x out) = layer l of a SAGE, GIN or linear layer on its input, bias included. */
gs_status gs__family_conv_forward(gs_model *m, int32_t l, float *Z, bool training,
                                  int64_t epoch, gs_error *err);
/* Its backward: adds the layer's parameter gradients, writes dHin (n x in) when l >= 1 and
 * dHin is not NULL. dHin may alias dZ. */
gs_status gs__family_conv_backward(gs_model *m, int32_t l, const float *dZ, float *dHin,
                                   int64_t epoch, gs_error *err);
/* APPNP: logits = K steps of P ← (1−α)ÂP + αH from P = H, H in prop[0]. */
gs_status gs__appnp_forward(gs_model *m, gs_error *err);
/* APPNP: dH (returned, a model buffer) from dlogits. */
gs_status gs__appnp_backward(gs_model *m, const float *dlogits, const float **dH, gs_error *err);
/* SGC: fills the smoothed input Â^K X, a column block at a time, densely or as CSR (then
 * GS_ERR_MISMATCH if its non-zeros are not the shape's smoothed_nnz). */
gs_status gs__sgc_precompute(gs_model *m, gs_error *err);

#endif
