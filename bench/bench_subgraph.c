/* Induced-subgraph benchmark (issue 8 item 3): the Cluster-GCN batch graph of Q parts built by
 * our row kernel (gs_graph_induce: induced pattern, self loops, symmetric normalisation, into
 * the batch graph allocated once) against GraphBLAS (GrB_Matrix_extract of A(I, I), the self
 * loops added with GrB_eWiseAdd, the degrees by GrB_reduce, D^-1/2 by GrB_apply and the
 * scaling by two GrB_mxm with the diagonal matrix). Both are verified against each other on
 * every batch before timing; then an epoch's batches are timed, repeated, and the median and
 * minimum reported as one JSON line per method on stdout. The batches are those of the
 * trainer's first epoch: the parts in the order of gs_cluster_train's shuffle, Q at a time. */
#include <GraphBLAS.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/runtime.h"
#include "core/stats.h"
#include "datasets/store.h"
#include "gnn/cluster.h"
#include "sparse/graph.h"
#include "sparse/subgraph.h"

#define REPEATS_DEFAULT 7
#define VALUE_TOLERANCE 1e-6

/* One batch: its parts (ascending) and node ids. */
typedef struct {
  int32_t chosen[64];
  int32_t q;
  GrB_Index *nodes;
  int64_t count;
} batch;

static double now(void) { return gs_clock_seconds(); }

/* Â of the batch by GraphBLAS into *out (a new matrix). A holds the symmetric adjacency with
 * ones, no self loops. extract_only: stop after A(I, I). */
static gs_status graphblas_batch(GrB_Matrix *out, GrB_Matrix A, const batch *b, bool extract_only,
                                 gs_error *err) {
  gs_status st = GS_OK;
  GrB_Matrix C = NULL, D = NULL;
  GrB_Vector d = NULL;
  const GrB_Index nb = (GrB_Index)b->count;
  GS_GRB_TRY(GrB_Matrix_new(&C, GrB_FP32, nb, nb));
  // C = A(I, I)
  GS_GRB_TRY(GrB_Matrix_extract(C, NULL, NULL, A, b->nodes, nb, b->nodes, nb, NULL));
  if (!extract_only) {
    GS_GRB_TRY(GrB_Vector_new(&d, GrB_FP32, nb));
    // d = ones; C = C + diag(d): one self loop per node
    GS_GRB_TRY(GrB_Vector_assign_FP32(d, NULL, NULL, 1.0f, GrB_ALL, nb, NULL));
    GS_GRB_TRY(GrB_Matrix_diag(&D, d, 0));
    GS_GRB_TRY(GrB_Matrix_eWiseAdd_BinaryOp(C, NULL, NULL, GrB_PLUS_FP32, C, D, NULL));
    GrB_free(&D);
    // d = C * 1 (row sums: the degrees in the batch, self loop included); d = 1 / sqrt(d)
    GS_GRB_TRY(GrB_Matrix_reduce_Monoid(d, NULL, NULL, GrB_PLUS_MONOID_FP32, C, NULL));
    GS_GRB_TRY(GrB_Vector_apply(d, NULL, NULL, GxB_SQRT_FP32, d, NULL));
    GS_GRB_TRY(GrB_Vector_apply(d, NULL, NULL, GrB_MINV_FP32, d, NULL));
    // C = D C D
    GS_GRB_TRY(GrB_Matrix_diag(&D, d, 0));
    GS_GRB_TRY(GrB_mxm(C, NULL, NULL, GrB_PLUS_TIMES_SEMIRING_FP32, D, C, NULL));
    GS_GRB_TRY(GrB_mxm(C, NULL, NULL, GrB_PLUS_TIMES_SEMIRING_FP32, C, D, NULL));
  }
  GS_GRB_TRY(GrB_Matrix_wait(C, GrB_MATERIALIZE));
  *out = C;
  C = NULL;
fail:
  GrB_free(&C);
  GrB_free(&D);
  GrB_free(&d);
  return st;
}

/* C against the row kernel's CSR: the same pattern and values within VALUE_TOLERANCE. */
static gs_status verify(GrB_Matrix C, const gs_csr *a, gs_error *err) {
  gs_status st = GS_OK;
  GrB_Index nvals = 0;
  GrB_Index *I = NULL, *J = NULL;
  float *X = NULL;
  GS_GRB_TRY(GrB_Matrix_nvals(&nvals, C));
  if ((int64_t)nvals != a->nnz)
    return gs_error_set(err, GS_ERR_INTERNAL,
                        "GraphBLAS batch has %llu entries, the row kernel %lld",
                        (unsigned long long)nvals, (long long)a->nnz);
  I = malloc(nvals * sizeof *I);
  J = malloc(nvals * sizeof *J);
  X = malloc(nvals * sizeof *X);
  if (!I || !J || !X) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  GS_GRB_TRY(GrB_Matrix_extractTuples_FP32(I, J, X, &nvals, C));
  /* extractTuples of a CSR matrix comes out row by row, columns ascending, as a is built. */
  for (int64_t r = 0, e = 0; r < a->nrows; r++)
    for (int64_t k = a->rowptr[r]; k < a->rowptr[r + 1]; k++, e++)
      if ((int64_t)I[e] != r || (int64_t)J[e] != a->col[k] ||
          fabs((double)X[e] - (double)a->val[k]) > VALUE_TOLERANCE) {
        st = gs_error_set(err, GS_ERR_INTERNAL, "entry (%lld, %lld): GraphBLAS %g, row kernel %g",
                          (long long)r, (long long)a->col[k], (double)X[e], (double)a->val[k]);
        goto fail;
      }
fail:
  free(I);
  free(J);
  free(X);
  return st;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  const char *path = NULL;
  int threads = 1, repeats = REPEATS_DEFAULT;
  int32_t q = 5;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--store") && i + 1 < argc) path = argv[++i];
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--clusters-per-batch") && i + 1 < argc) q = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: bench_subgraph --store DIR/gnnscale-P<P>-s<S>.store "
              "[--clusters-per-batch Q] [--threads T] [--repeats R]\n");
      return 2;
    }
  }
  if (!path || q < 1 || q > 64 || threads < 1 || repeats < 1) {
    fprintf(stderr, "bench_subgraph: --store is required; Q in [1, 64], T and R positive\n");
    return 2;
  }
  gs_error e, *err = &e;
  gs_error_clear(err);
  gs_status st = GS_OK;
  gs_dataset *ds = NULL;
  gs_graph *g = NULL;
  GrB_Matrix A = NULL, C = NULL;
  GrB_Index *ri = NULL, *ci = NULL;
  float *ones = NULL;
  batch *bs = NULL;
  int32_t nbatches = 0, P = 0;
  double *t_rows = NULL, *t_grb = NULL, *t_ext = NULL;
  GS_TRY(gs_runtime_init(threads, err));
  GS_TRY(gs_store_load(&ds, path, err));
  if (ds->parts < 2) {
    st = gs_error_set(err, GS_ERR_INVALID, "%s is not a partition-ordered store", path);
    goto fail;
  }
  P = ds->parts;
  if (q > P) q = P;
  gs_cluster_capacity cap;
  GS_TRY(gs_cluster_capacity_of(&cap, ds, q, err));
  GS_TRY(gs_graph_batch_new(&g, cap.nodes, cap.entries, P, GS_NORM_SYM, err));

  /* The symmetric adjacency as a GraphBLAS matrix of ones (built once, not timed). */
  const int64_t n = ds->num_nodes, m = ds->adj_rowptr[n];
  ri = malloc((size_t)m * sizeof *ri);
  ci = malloc((size_t)m * sizeof *ci);
  ones = malloc((size_t)m * sizeof *ones);
  if (!ri || !ci || !ones) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  for (int64_t v = 0; v < n; v++)
    for (int64_t k = ds->adj_rowptr[v]; k < ds->adj_rowptr[v + 1]; k++) {
      ri[k] = (GrB_Index)v;
      ci[k] = ds->adj_col[k];
      ones[k] = 1.0f;
    }
  GS_GRB_TRY(GrB_Matrix_new(&A, GrB_FP32, (GrB_Index)n, (GrB_Index)n));
  GS_GRB_TRY(GrB_Matrix_build_FP32(A, ri, ci, ones, (GrB_Index)m, GrB_PLUS_FP32));
  GS_GRB_TRY(GrB_Matrix_wait(A, GrB_MATERIALIZE));

  /* The batches of the trainer's first epoch (seed 0): its Fisher-Yates order, Q at a time. */
  int32_t *order = malloc((size_t)P * sizeof *order);
  bs = calloc((size_t)P, sizeof *bs);
  if (!order || !bs) {
    free(order);
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  const uint64_t stream = gs_rng_stream(GS_RNG_STREAM_SHUFFLE, 1, 0);
  for (int32_t p = 0; p < P; p++) order[p] = p;
  for (int32_t p = P - 1; p > 0; p--) {
    int32_t j = (int32_t)(gs_rng_at(0, stream, (uint64_t)p) % (uint64_t)(p + 1));
    int32_t t = order[p];
    order[p] = order[j];
    order[j] = t;
  }
  double nodes_sum = 0, entries_sum = 0;
  for (int32_t b0 = 0; b0 < P; b0 += q, nbatches++) {
    batch *b = &bs[nbatches];
    b->q = P - b0 < q ? P - b0 : q;
    for (int32_t k = 0; k < b->q; k++) { /* ascending */
      int32_t v = order[b0 + k], j = k;
      while (j > 0 && b->chosen[j - 1] > v) {
        b->chosen[j] = b->chosen[j - 1];
        j--;
      }
      b->chosen[j] = v;
    }
    for (int32_t k = 0; k < b->q; k++)
      b->count += ds->part_start[b->chosen[k] + 1] - ds->part_start[b->chosen[k]];
    b->nodes = malloc((size_t)b->count * sizeof *b->nodes);
    if (!b->nodes) {
      free(order);
      st = gs_error_set(err, GS_ERR_NOMEM, "out of memory");
      goto fail;
    }
    int64_t at = 0;
    for (int32_t k = 0; k < b->q; k++)
      for (int64_t v = ds->part_start[b->chosen[k]]; v < ds->part_start[b->chosen[k] + 1]; v++)
        b->nodes[at++] = (GrB_Index)v;
    /* Verify: the two methods build the same Â. */
    GS_TRY(gs_graph_induce(g, ds->adj_rowptr, ds->adj_col, ds->part_start, b->chosen, b->q, 0.0,
                           err));
    GS_TRY(graphblas_batch(&C, A, b, false, err));
    GS_TRY(verify(C, gs_graph_csr(g), err));
    GrB_free(&C);
    nodes_sum += (double)b->count;
    entries_sum += (double)gs_graph_nnz(g);
  }
  free(order);

  t_rows = malloc((size_t)repeats * sizeof *t_rows);
  t_grb = malloc((size_t)repeats * sizeof *t_grb);
  t_ext = malloc((size_t)repeats * sizeof *t_ext);
  if (!t_rows || !t_grb || !t_ext) {
    st = gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    goto fail;
  }
  for (int r = -1; r < repeats; r++) { /* r = -1: warm-up */
    double t0 = now();
    for (int32_t k = 0; k < nbatches; k++)
      GS_TRY(gs_graph_induce(g, ds->adj_rowptr, ds->adj_col, ds->part_start, bs[k].chosen,
                             bs[k].q, 0.0, err));
    double t1 = now();
    for (int32_t k = 0; k < nbatches; k++) {
      GS_TRY(graphblas_batch(&C, A, &bs[k], false, err));
      GrB_free(&C);
    }
    double t2 = now();
    for (int32_t k = 0; k < nbatches; k++) {
      GS_TRY(graphblas_batch(&C, A, &bs[k], true, err));
      GrB_free(&C);
    }
    double t3 = now();
    if (r >= 0) {
      t_rows[r] = t1 - t0;
      t_grb[r] = t2 - t1;
      t_ext[r] = t3 - t2;
    }
  }
  const char *names[3] = {"rows", "graphblas", "graphblas_extract_only"};
  double *times[3] = {t_rows, t_grb, t_ext};
  for (int k = 0; k < 3; k++) {
    qsort(times[k], (size_t)repeats, sizeof(double), compare_double);
    printf("{\"bench\":\"subgraph\",\"method\":\"%s\",\"store\":\"%s\",\"parts\":%d,"
           "\"clusters_per_batch\":%d,\"batches\":%d,\"threads\":%d,\"repeats\":%d,"
           "\"batch_nodes_mean\":%.1f,\"batch_entries_mean\":%.1f,\"epoch_ms_median\":%.3f,"
           "\"epoch_ms_min\":%.3f,\"batch_ms_median\":%.4f}\n",
           names[k], path, P, q, nbatches, threads, repeats, nodes_sum / nbatches,
           entries_sum / nbatches, 1e3 * gs_median(times[k], repeats), 1e3 * times[k][0],
           1e3 * gs_median(times[k], repeats) / nbatches);
  }
fail:
  GrB_free(&C);
  GrB_free(&A);
  if (bs)
    for (int32_t k = 0; k < P; k++) free(bs[k].nodes);
  free(bs);
  free(ri);
  free(ci);
  free(ones);
  free(t_rows);
  free(t_grb);
  free(t_ext);
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  if (st != GS_OK) {
    fprintf(stderr, "bench_subgraph: %s\n", err->msg);
    return 1;
  }
  return 0;
}
