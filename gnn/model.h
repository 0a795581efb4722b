/* A GNN of one of five families (GS_MODEL_*): GCN of any depth (Kipf & Welling 2017), where
 * layer l computes Z = Â·H_l·W_l + b_l, GraphSAGE-mean, GIN, SGC and APPNP (gnn/family.c);
 * hidden layers add optional LayerNorm, ReLU, optional residual (when widths match) and
 * inverted dropout. The model's memory is described by a gs_model_layout made from the configuration
 * and the data shape alone: the model allocates exactly the buffers the layout lists, and the
 * cost model (scaling/) reads the same layout to predict peak memory and FLOPs. */
#ifndef GS_MODEL_H
#define GS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "datasets/dataset.h"
#include "sparse/graph.h"

#define GS_MAX_LAYERS 128
/* A layer adds at most 7 buffers (GIN with BatchNorm and LayerNorm: its input, the
 * aggregate or T, U, x̂ and 1/σ of BatchNorm, x̂ and 1/σ of LayerNorm); the rest about 17.
 * (6 per layer overflowed for a deep GIN with BatchNorm, e.g. plan's depth 64 on Amazon Photo.) */
#define GS_MAX_BUFFERS (7 * GS_MAX_LAYERS + 32)

typedef enum {
  GS_ORDER_AUTO = 0,            /* per layer, the order with fewer FLOPs (DESIGN.md §2) */
  GS_ORDER_TRANSFORM_FIRST = 1, /* Â·(H·W) */
  GS_ORDER_AGGREGATE_FIRST = 2  /* (Â·H)·W (never for sparse input features) */
} gs_layer_order;

/* The layer family; what depth and width mean for each is in README.md ("Layer families").
 * - GCN:   Z = Â·H·W + b (Kipf & Welling 2017).
 * - SAGE:  Z = H·W_self + mean(H)·W_neigh + b, the mean over the closed neighbourhood
 *          N(v) ∪ {v}: Â row-normalised, (D+I)^-1 (A+I) (Hamilton et al. 2017, full batch).
 * - GIN:   Z = relu(BN(((A+I)·H + ε·H)·W1))·W2 + b2, i.e. MLP((1+ε)h_v + Σ_{u∈N(v)} h_u)
 *          with a learnable ε per layer (init 0), MLP hidden width = width, and BatchNorm
 *          inside the MLP as in Xu et al. 2019 (and PyG's GIN): BN(S) = γ ⊙ (S − μ)/√(σ² + ε)
 *          + b1 over the nodes of the graph, per column, in training and evaluation alike.
 *          Without it the sum over up to thousands of neighbours puts the logits in the
 *          thousands at initialisation and the hidden ReLUs die (bench/RESULTS.md §9); on
 *          low-degree graphs it costs accuracy, so gs_gin_norm chooses (GS_GIN_NORM_NONE:
 *          Z = relu(((A+I)·H + ε·H)·W1 + b1)·W2 + b2).
 * - SGC:   Z = (Â^K X)·W + b, Â^K X computed once when the model is made; depth = K
 *          (Wu et al. 2019): one linear layer, width unused.
 * - APPNP: H = MLP(X) = relu(X·W1 + b1)·W2 + b2 (hidden width = width), then K steps of
 *          P ← (1−α)·Â·P + α·H from P = H, α = GS_APPNP_TELEPORT; depth = K
 *          (Gasteiger et al. 2019). */
typedef enum {
  GS_MODEL_GCN = 0,
  GS_MODEL_SAGE = 1,
  GS_MODEL_GIN = 2,
  GS_MODEL_SGC = 3,
  GS_MODEL_APPNP = 4
} gs_model_family;

#define GS_MODEL_FAMILIES 5
/* APPNP's teleport probability α (the paper's value for its citation graphs). */
#define GS_APPNP_TELEPORT 0.1f
/* SGC propagates Â^K X this many feature columns at a time (two n x 64 float buffers). */
#define GS_SGC_BLOCK 64
/* SGC holds Â^K X as CSR below this share of non-zeros (the loader's threshold for features,
 * and the PyTorch peer's for Â^K X). It is where the memory breaks even under dropout: dense
 * holds 8 bytes per element (Â^K X and its dropped copy), CSR 32 per non-zero (12 for the
 * matrix, 20 for its transpose and permutation). Time per epoch, one thread, loaded machine:
 * Facebook's Â²X (6.9% non-zeros) 384 ms as CSR against 965 dense; Coauthor CS's (27.7%)
 * 2236 against 1968 (bench/RESULTS.md §9). */
#define GS_SGC_SPARSE_BELOW 0.25

/* Storage of SGC's Â^K X. */
typedef enum {
  GS_SGC_INPUT_AUTO = 0,  /* CSR below GS_SGC_SPARSE_BELOW non-zeros, else dense */
  GS_SGC_INPUT_DENSE = 1, /* n x f floats, dropout on every element */
  GS_SGC_INPUT_CSR = 2    /* its non-zeros, dropout on each (the same distribution: a
                             dropped zero is zero) */
} gs_sgc_input;

/* GIN's normalisation inside its MLP (README "Layer families"). */
typedef enum {
  GS_GIN_NORM_AUTO = 0,  /* gs_gin_norm_choose on the graph: BatchNorm above a mean closed degree */
  GS_GIN_NORM_BATCH = 1, /* Linear, BatchNorm (shift b1), ReLU, Linear */
  GS_GIN_NORM_NONE = 2   /* the plain sum: Linear + b1, ReLU, Linear (the model before 353b18d) */
} gs_gin_norm;

/* GS_GIN_NORM_AUTO gives BatchNorm when the mean closed degree nnz(A+I)/n is above this. The
 * sum over A+I grows each layer's pre-activations with the degree: at 32.1 (Amazon Photo) the
 * plain sum collapses in both programs (31.3 ± 17.0, PyTorch 20.5 ± 12.2) and BatchNorm trains
 * it (87.2 ± 0.9); at 9.9 and below (Coauthor CS, Cora 4.9, CiteSeer 3.7) BatchNorm costs 7-12
 * points in both programs; Facebook (16.2) is level either way and BatchNorm halves its spread.
 * 12 sits between 9.9 and 16.2 (bench/RESULTS.md §9). */
#define GS_GIN_BATCHNORM_ABOVE 12.0

/* "auto", "batch", "none" (NULL for an unknown value). */
const char *gs_gin_norm_name(gs_gin_norm norm);

/* BATCH when closed_nnz / nodes (the mean closed degree: closed_nnz = nnz(A+I)) is above
 * GS_GIN_BATCHNORM_ABOVE, else NONE. Reads the graph only, never labels. */
gs_gin_norm gs_gin_norm_choose(int64_t nodes, int64_t closed_nnz);

/* Writes into buf (size n) the figures of that choice, e.g. "mean closed degree nnz(A+I)/n
 * 32.13 > 12". */
void gs_gin_norm_explain(int64_t nodes, int64_t closed_nnz, char *buf, size_t n);

/* "gcn", "sage", "gin", "sgc", "appnp" (NULL for an unknown value). */
const char *gs_model_family_name(gs_model_family family);

/* The normalisation of Â a family propagates over: SAGE needs GS_NORM_ROW (a mean), GIN
 * GS_NORM_NONE (a sum), the others the one asked for. */
gs_norm gs_model_family_norm(gs_model_family family, gs_norm requested);

typedef enum {
  GS_DECAY_FIRST = 0, /* weight decay on the first layer's weights only (Kipf & Welling) */
  GS_DECAY_ALL = 1    /* on every layer's weights (never on biases or norm parameters) */
} gs_decay_scope;

/* How the hidden stack of residual connections and LayerNorm is chosen. */
typedef enum {
  GS_STACK_AS_SET = 0, /* residual and norm as the config's fields say */
  GS_STACK_AUTO = 1    /* the deep stack from GS_MODEL_DEEP_DEPTH layers on for the stacked
                          families, plain below and for SGC and APPNP
                          (gs_model_config_resolve): GCN residual + ReZero + identity map,
                          SAGE and GIN residual + ReZero + LayerNorm */
} gs_model_stack;

/* The depth from which a plain stack collapses, so that GS_STACK_AUTO gives the deep stack:
 * a plain GCN (width 16, dropout 0.5, 3 seeds) loses 7.7 points on Cora and 10.9 on Coauthor
 * CS from depth 2 to 4, and is near chance at 16, where the deep stack trains
 * (bench/RESULTS.md §11). */
#define GS_MODEL_DEEP_DEPTH 4

/* λ of the identity map's β_l = ln(λ/l + 1) (GCNII, Chen et al. 2020, their value): layer 1
 * mixes 0.41 of W_1 into the identity, layer 14 0.035. */
#define GS_IDENTITY_MAP_LAMBDA 0.5

typedef struct {
  gs_model_family family; /* GS_MODEL_GCN */
  int32_t depth;        /* message-passing layers (SGC, APPNP: propagation steps K), >= 1 */
  int64_t width;        /* hidden width (GIN: also its MLPs'; SGC: unused), >= 1 */
  float dropout;        /* rate in [0, 1) before every layer, input included */
  bool residual;        /* H_{l+1} = H_l + relu(...) on hidden layers with equal widths */
  bool rezero;          /* residual branches scaled by a learnable gate from 0 (ReZero):
                           H_{l+1} = H_l + α_l·relu(...), α_l = θ_l / R over the R residual
                           layers, so that Adam, which moves each θ_l by about lr a step
                           whatever its gradient, moves the R branches together as fast as
                           one (bench/RESULTS.md §11); needs residual */
  bool identity_map;    /* GCN residual layers multiply by (1-β_l)·I + β_l·W_l rather than
                           W_l, β_l = ln(GS_IDENTITY_MAP_LAMBDA / l + 1) (GCNII's identity
                           mapping): deep layers start near a pure propagation; needs
                           residual, GCN only */
  bool norm;            /* LayerNorm before the ReLU of hidden layers */
  gs_layer_order order;
  uint64_t seed;        /* initialisation and dropout */
  gs_model_stack stack; /* GS_STACK_AS_SET; GS_STACK_AUTO decides residual and norm by depth */
  gs_sgc_input sgc_input; /* SGC: storage of Â^K X (GS_SGC_INPUT_AUTO) */
  gs_gin_norm gin_norm;   /* GIN: its MLP's normalisation (GS_GIN_NORM_AUTO); the layout's
                             config holds the choice made from its shape */
} gs_model_config;

gs_model_config gs_model_config_default(void);

/* Whether GS_STACK_AUTO gives a model of this family and depth the deep stack: a stacked
 * family (GCN, SAGE, GIN: depth = message-passing layers with hidden layers between them) at
 * depth >= GS_MODEL_DEEP_DEPTH. SGC and APPNP have no hidden stack (their depth is K). */
bool gs_model_stack_is_deep(gs_model_family family, int32_t depth);

/* cfg with its stack decided: for GS_STACK_AUTO, residual, rezero, identity_map and norm set
 * as gs_model_stack_is_deep says (GCN: identity map, no norm; SAGE and GIN: norm) and stack
 * GS_STACK_AS_SET; otherwise cfg unchanged. The layout
 * (and so the model and the cost model) applies it, so a config priced is the config trained. */
gs_model_config gs_model_config_resolve(const gs_model_config *cfg);

/* What the model is built for; no data needed, so the planner can use it too. */
typedef struct {
  int64_t nodes;
  int64_t adj_nnz;         /* non-zeros of Â */
  bool adj_transpose;      /* Â is not symmetric (row normalisation) */
  int64_t features;        /* input width f */
  bool sparse_features;
  int64_t feature_nnz;
  int64_t classes;
  int64_t smoothed_nnz;    /* SGC: non-zeros of Â^K X (gs_model_smoothed_nnz); 0: not counted,
                              which holds it dense */
} gs_model_shape;

typedef struct {
  int64_t in, out;
  bool sparse_input;    /* layer 0 with CSR input: the features, or SGC's Â^K X */
  bool aggregate_first; /* (Â·H)·W rather than Â·(H·W) */
  bool residual;        /* adds its input (in == out, hidden layer) */
  bool norm;
  bool hidden;          /* not the output layer */
  bool aggregates;      /* propagates over Â (GCN, SAGE, GIN); else a linear layer */
  int64_t mid;          /* GIN: the MLP's hidden width; else 0 */
  int64_t weights;      /* weight entries from w_offset on (decayed; biases never are) */
  int64_t w_offset, b_offset, gamma_offset, beta_offset; /* into the parameter block */
  int64_t w2_offset;    /* SAGE: W_neigh (in x out); GIN: W2 (mid x out); else -1 */
  int64_t b2_offset;    /* GIN: b2 (out), b_offset being b1 (mid); else -1 */
  int64_t eps_offset;   /* GIN: ε; else -1 */
  int64_t bn_gamma_offset; /* GIN with BatchNorm: its scale γ (mid), b1 its shift; else -1 */
  int64_t rezero_offset; /* a residual layer with rezero: its gate θ_l; else -1 */
  float rezero_scale;   /* α_l = rezero_scale·θ_l: 1 / (residual layers); else 0 */
  float identity_beta;  /* > 0: the layer multiplies by W_eff = (1-β)·I + β·W; else 0 */
} gs_layer_dims;

/* One allocation the model makes, in order. */
typedef struct {
  const char *tag;
  int64_t bytes;
  bool kept_for_backward; /* an activation (else parameters, optimiser state or workspace) */
} gs_buffer_desc;

/* FLOPs of one training epoch (train step + evaluation forward), by category. */
typedef struct {
  int64_t aggregate;     /* Â products */
  int64_t dense;         /* sgemm */
  int64_t sparse_input;  /* X·W and Xᵀ·dT with sparse features */
  int64_t elementwise;   /* bias, activation, dropout, norm, loss, optimiser */
  int64_t total;
} gs_flops;

typedef struct {
  gs_model_config config;
  gs_model_shape shape;
  int32_t depth;             /* parametrised layers: config depth, SGC 1, APPNP 2 */
  int32_t hops;              /* SGC, APPNP: propagation steps K (config depth); else 0 */
  gs_layer_dims layer[GS_MAX_LAYERS];
  int64_t params;            /* parameter count P */
  int64_t decayed_params;    /* of which weight decay applies to, for GS_DECAY_FIRST */
  int64_t input_nnz;         /* non-zeros of layer 0's CSR input (X's, or SGC's Â^K X's); 0
                                when it is dense */
  bool residual_mode;        /* keeps pre-activations and an undropped H (residual on) */
  int32_t num_buffers;
  gs_buffer_desc buffer[GS_MAX_BUFFERS];
  int64_t total_bytes;       /* sum of buffer bytes */
  int64_t activation_bytes;  /* of which kept for backward */
  gs_flops train_flops;      /* forward + backward + optimiser, one step */
  gs_flops eval_flops;       /* one forward without dropout */
  gs_flops setup_flops;      /* once, when the model is made (SGC's Â^K X: one pass of
                                2·K·nnz(Â)·f when dense, two when CSR (row counts, then
                                values), and gs_model_new's count unless forced dense) */
} gs_model_layout;

/* Derives the layer dimensions, parameter offsets, every buffer the model will allocate and
 * the FLOPs of a step from cfg and shape. Errors: GS_ERR_INVALID for depth < 1 or above
 * GS_MAX_LAYERS, width < 1, dropout outside [0, 1), classes < 1, rezero or
 * identity_map without residual, identity_map outside GCN; GS_ERR_RANGE for sizes whose
 * bytes overflow. */
gs_status gs_model_layout_make(gs_model_layout *out, const gs_model_config *cfg,
                               const gs_model_shape *shape, gs_error *err);

/* GIN's normalisation for cfg on this shape, as the layout resolves it: cfg->gin_norm, or for
 * GS_GIN_NORM_AUTO gs_gin_norm_choose(nodes, adj_nnz) (GIN's Â is A+I). */
gs_gin_norm gs_model_gin_norm(const gs_model_config *cfg, const gs_model_shape *shape);

/* The shape of a model for this graph and these features (smoothed_nnz not counted). */
gs_model_shape gs_model_shape_of(const gs_graph *g, const gs_features *x, int64_t classes);

/* *nnz = the non-zeros of Â^K X, computed as the model computes it (GS_SGC_BLOCK columns at a
 * time, two n x GS_SGC_BLOCK float buffers allocated and freed here): SGC's shape needs it to
 * choose the storage. 2·K·nnz(Â)·f FLOPs. Errors: GS_ERR_NOMEM, those of gs_graph_aggregate. */
gs_status gs_model_smoothed_nnz(int64_t *nnz, const gs_graph *g, const gs_features *x,
                                int32_t hops, gs_error *err);

/* counts[(k - 1)·f + j] = the non-zeros of column j of Â^k X for k = 1 .. hops, each computed
 * as gs_model_smoothed_nnz computes it (their sum over j at k = hops is its count), in one
 * pass of hops steps: what a planner needs to price SGC at any K up to hops and any subset of
 * columns. counts holds hops·f entries. 2·hops·nnz(Â)·f FLOPs. Errors: as gs_model_smoothed_nnz. */
gs_status gs_model_smoothed_column_nnz(int64_t *counts, const gs_graph *g, const gs_features *x,
                                       int32_t hops, gs_error *err);

/* Whether SGC's layout holds Â^K X as CSR for cfg and shape: GS_SGC_INPUT_CSR, or AUTO with a
 * counted smoothed_nnz below GS_SGC_SPARSE_BELOW of n·f. False for the other families. */
bool gs_model_sgc_csr(const gs_model_config *cfg, const gs_model_shape *shape);

typedef struct gs_model gs_model;

/* Allocates and initialises a model (Glorot-uniform weights from the counter RNG, zero
 * biases, unit norm scales) for features x on graph g; keeps borrowed pointers to both,
 * which must outlive the model. SGC: counts Â^K X first (gs_model_smoothed_nnz) unless
 * cfg->sgc_input is GS_SGC_INPUT_DENSE. */
gs_status gs_model_new(gs_model **out, const gs_model_config *cfg, const gs_graph *g,
                       const gs_features *x, int64_t classes, gs_error *err);

void gs_model_free(gs_model **m);

/* Bytes of the model object itself, which gs_model_new allocates through the counting
 * allocator beside the buffers of its layout (the cost model counts both). */
int64_t gs_model_object_bytes(void);

/* Allocates and initialises a model as gs_model_new does, for the shape `capacity` rather than
 * a given graph: every buffer is sized by it, and no graph is bound until gs_model_bind (which
 * must come before the first pass). For Cluster-GCN, whose batches vary in size below the
 * largest one. Errors: those of gs_model_layout_make, GS_ERR_NOMEM. */
gs_status gs_model_new_capacity(gs_model **out, const gs_model_config *cfg,
                                const gs_model_shape *capacity, gs_error *err);

/* Binds the model to another graph and its features, as Cluster-GCN does for each batch: the
 * buffers stay those sized by the shape the model was made for (its capacity), the passes run
 * over the bound graph's nodes, and for sparse features Xᵀ is rebuilt in place. Parameters,
 * gradients and Adam's moments are untouched. g and x are borrowed until the next bind or
 * free. Errors: GS_ERR_MISMATCH (feature width or kind differ, rows != nodes), GS_ERR_RANGE
 * (nodes, entries of Â or feature entries beyond the capacity). Allocates nothing. */
gs_status gs_model_bind(gs_model *m, const gs_graph *g, const gs_features *x, gs_error *err);

/* Rows of the graph bound now (the capacity's until gs_model_bind). */
int64_t gs_model_nodes(const gs_model *m);

const gs_model_layout *gs_model_layout_of(const gs_model *m);

/* SGC's input Â^K X as the model holds it: *csr when held as CSR, else *dense (n x f floats),
 * the other NULL; both NULL for the other families. Owned by the model. For
 * bench/step_compare.py, which compares it with the PyTorch peer's. */
void gs_model_smoothed_input(const gs_model *m, const gs_csr **csr, const float **dense);

/* Forward pass over all nodes of the bound graph. training: dropout on, with masks from (seed, epoch, layer).
 * Returns the logits (n x classes, owned by the model) through *logits. */
gs_status gs_model_forward(gs_model *m, bool training, int64_t epoch, const float **logits,
                           gs_error *err);

/* Backward pass of the last training forward for dlogits (n x classes): adds into the
 * gradients (call gs_model_zero_grad first). */
gs_status gs_model_backward(gs_model *m, const float *dlogits, int64_t epoch, gs_error *err);

void gs_model_zero_grad(gs_model *m);

/* The dlogits buffer the model owns (n x classes), for the loss to write into. */
float *gs_model_dlogits(gs_model *m);

/* Parameter, gradient and Adam moment blocks (P floats each, layout offsets apply). */
float *gs_model_params(gs_model *m);
float *gs_model_grads(gs_model *m);
float *gs_model_adam_m(gs_model *m);
float *gs_model_adam_v(gs_model *m);

/* Applies weight decay to the gradients of the weights in scope. */
void gs_model_apply_decay(gs_model *m, double decay, gs_decay_scope scope);

#endif
