/* Kernel benchmark (issue 4): aggregation Y = Â·X for k = 16..256 with GraphBLAS and with
 * our row kernel, verified against the naive reference before timing, checked for bitwise
 * repeatability, and reported as GFLOP/s and effective bandwidth beside a STREAM triad
 * measured in the same run; dense products against the sgemm rate. One JSON line per
 * configuration on stdout; a table on stderr. Default graph: ogbn-arxiv's shape, generated. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/runtime.h"
#include "core/stats.h"
#include "datasets/dataset.h"
#include "datasets/generate.h"
#include "gnn/dense.h"
#include "scaling/profile.h"
#include "sparse/graph.h"
#include "sparse/reorder.h"

#define REPEATS 7
#define VERIFY_TOLERANCE 1e-5

typedef struct {
  double median, min;
} timing;

static timing summarize(double *t, int count) {
  timing r = {gs_median(t, count), t[0]}; /* sorts t: t[0] is the minimum */
  return r;
}

/* Error of y against ref relative to Â·|X| (ref_abs), the size of the terms summed: a float
 * sum over a row of thousands of neighbours can cancel to near zero, so |ref| alone is not a
 * fair scale. */
static double max_rel_error(const float *y, const float *ref, const float *ref_abs, int64_t count) {
  double worst = 0;
  for (int64_t i = 0; i < count; i++) {
    double scale = fmax(fabs((double)ref_abs[i]), 1e-6);
    double e = fabs((double)y[i] - ref[i]) / scale;
    if (e > worst) worst = e;
  }
  return worst;
}

static int bench_aggregation(const gs_graph *g, const char *graph_label, const char *ordering,
                             double stream_gbs, int threads) {
  const int64_t n = gs_graph_nodes(g), m = gs_graph_nnz(g);
  const int64_t ks[] = {16, 32, 64, 128, 256};
  const gs_agg_kernel kernels[] = {GS_AGG_ROWS, GS_AGG_GRAPHBLAS};
  const char *kernel_names[] = {"rows", "graphblas"};
  for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
    int64_t k = ks[ki];
    float *X = gs_mem_alloc((size_t)(n * k) * sizeof(float), "bench");
    float *Y = gs_mem_alloc((size_t)(n * k) * sizeof(float), "bench");
    float *Y2 = gs_mem_alloc((size_t)(n * k) * sizeof(float), "bench");
    float *ref = gs_mem_alloc((size_t)(n * k) * sizeof(float), "bench");
    float *ref_abs = gs_mem_alloc((size_t)(n * k) * sizeof(float), "bench");
    if (!X || !Y || !Y2 || !ref || !ref_abs) {
      fprintf(stderr, "bench: out of memory at k = %lld\n", (long long)k);
      return 1;
    }
    for (int64_t i = 0; i < n * k; i++) X[i] = 2.0f * gs_rng_uniform(1, 9, (uint64_t)i) - 1.0f;
    for (int64_t i = 0; i < n * k; i++) Y[i] = fabsf(X[i]);
    gs_graph_aggregate_reference(g, ref_abs, Y, k, false);
    gs_graph_aggregate_reference(g, ref, X, k, false);
    for (size_t kk = 0; kk < 2; kk++) {
      gs_error err;
      gs_status st = gs_graph_aggregate(g, Y, X, k, false, kernels[kk], &err);
      if (st != GS_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 1;
      }
      double verr = max_rel_error(Y, ref, ref_abs, n * k);
      if (verr > VERIFY_TOLERANCE) {
        fprintf(stderr, "bench: %s kernel disagrees with the reference (max rel error %g)\n",
                kernel_names[kk], verr);
        return 1;
      }
      bool repeatable = true;
      double t[REPEATS];
      for (int r = 0; r < REPEATS; r++) {
        double t0 = gs_clock_seconds();
        gs_graph_aggregate(g, Y2, X, k, false, kernels[kk], &err);
        t[r] = gs_clock_seconds() - t0;
        if (memcmp(Y, Y2, (size_t)(n * k) * sizeof(float)) != 0) repeatable = false;
      }
      timing tm = summarize(t, REPEATS);
      double flops = 2.0 * (double)m * (double)k;
      /* compulsory traffic (θ = 0): Â once, X once, Y once; worst case (θ = 1): a row of X
       * per non-zero (DESIGN.md §4). */
      double bytes_min = 8.0 * (double)(n + 1) + 12.0 * (double)m + 8.0 * (double)(n * k);
      double bytes_max = 8.0 * (double)(n + 1) + 12.0 * (double)m + 4.0 * (double)m * (double)k +
                         4.0 * (double)(n * k);
      double gbs = bytes_min / tm.median * 1e-9;
      printf("{\"bench\":\"aggregate\",\"graph\":\"%s\",\"ordering\":\"%s\",\"kernel\":\"%s\","
             "\"threads\":%d,\"n\":%lld,\"nnz\":%lld,\"k\":%lld,\"median_ms\":%.3f,\"min_ms\":%.3f,"
             "\"gflops\":%.2f,\"effective_gbs\":%.2f,\"worst_case_gbs\":%.2f,"
             "\"stream_triad_gbs\":%.2f,\"fraction_of_stream\":%.3f,\"max_rel_error\":%.2e,"
             "\"bitwise_repeatable\":%s}\n",
             graph_label, ordering, kernel_names[kk], threads, (long long)n, (long long)m,
             (long long)k, 1e3 * tm.median, 1e3 * tm.min, flops / tm.median * 1e-9, gbs,
             bytes_max / tm.median * 1e-9, stream_gbs, gbs / stream_gbs, verr,
             repeatable ? "true" : "false");
      fprintf(stderr, "%-10s %-9s k=%-4lld %8.2f ms  %6.2f GFLOP/s  %6.2f GB/s (%.0f%% of STREAM)%s\n",
              ordering, kernel_names[kk], (long long)k, 1e3 * tm.median, flops / tm.median * 1e-9,
              gbs, 100 * gbs / stream_gbs, repeatable ? "" : "  NOT repeatable");
    }
    gs_mem_free(X);
    gs_mem_free(Y);
    gs_mem_free(Y2);
    gs_mem_free(ref);
    gs_mem_free(ref_abs);
  }
  return 0;
}

static void bench_dense(int64_t n, int threads) {
  const int64_t shapes[][2] = {{128, 256}, {256, 256}, {256, 40}, {1433, 16}, {16, 7}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    int64_t in = shapes[s][0], out = shapes[s][1];
    float *H = gs_mem_alloc((size_t)(n * in) * sizeof(float), "bench");
    float *W = gs_mem_alloc((size_t)(in * out) * sizeof(float), "bench");
    float *Z = gs_mem_alloc((size_t)(n * out) * sizeof(float), "bench");
    for (int64_t i = 0; i < n * in; i++) H[i] = gs_rng_uniform(2, 1, (uint64_t)i);
    for (int64_t i = 0; i < in * out; i++) W[i] = gs_rng_uniform(2, 2, (uint64_t)i);
    for (int64_t i = 0; i < n * out; i++) Z[i] = gs_rng_uniform(2, 3, (uint64_t)i);
    const char *ops[] = {"NN H*W", "TN H^T*dZ", "NT dZ*W^T"};
    for (int op = 0; op < 3; op++) {
      double t[REPEATS];
      for (int r = 0; r < REPEATS; r++) {
        double t0 = gs_clock_seconds();
        if (op == 0) gs_dense_matmul(Z, H, W, n, out, in, false, false, false);
        else if (op == 1) gs_dense_matmul(W, H, Z, in, out, n, true, false, false);
        else gs_dense_matmul(H, Z, W, n, in, out, false, true, false);
        t[r] = gs_clock_seconds() - t0;
      }
      timing tm = summarize(t, REPEATS);
      double flops = 2.0 * (double)n * (double)in * (double)out;
      printf("{\"bench\":\"sgemm\",\"op\":\"%s\",\"threads\":%d,\"rows\":%lld,\"in\":%lld,"
             "\"out\":%lld,\"median_ms\":%.3f,\"min_ms\":%.3f,\"gflops\":%.2f}\n",
             ops[op], threads, (long long)n, (long long)in, (long long)out, 1e3 * tm.median,
             1e3 * tm.min, flops / tm.median * 1e-9);
      fprintf(stderr, "sgemm %-10s n=%lld %4lld->%-4lld %8.2f ms  %6.1f GFLOP/s\n", ops[op],
              (long long)n, (long long)in, (long long)out, 1e3 * tm.median, flops / tm.median * 1e-9);
    }
    gs_mem_free(H);
    gs_mem_free(W);
    gs_mem_free(Z);
  }
}

int main(int argc, char **argv) {
  const char *data = NULL;
  int threads = 2;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--data") && i + 1 < argc) data = argv[++i];
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: bench_kernels [--data DIR] [--threads T]\n");
      return 2;
    }
  }
  gs_error err;
  if (gs_runtime_init(threads, &err) != GS_OK) {
    fprintf(stderr, "bench: %s\n", err.msg);
    return 1;
  }
  gs_dataset *ds = NULL;
  gs_status st;
  const char *label = data;
  if (data) {
    gs_dataset_options opts = gs_dataset_options_default();
    opts.load_features = false;
    st = gs_dataset_load(&ds, data, &opts, &err);
  } else {
    gs_generate_options o = gs_generate_options_default();
    o.nodes = 169343;
    o.edges = 1166243;
    o.features = 0;
    o.classes = 40;
    o.name = "arxiv-shaped";
    label = "arxiv-shaped";
    st = gs_dataset_generate(&ds, &o, &err);
  }
  if (st != GS_OK) {
    fprintf(stderr, "bench: %s\n", err.msg);
    return 1;
  }
  gs_graph *g = NULL;
  double t0 = gs_clock_seconds();
  st = gs_graph_new(&g, ds->num_nodes, ds->src, ds->dst, ds->num_edge_lines, GS_NORM_SYM, &err);
  if (st != GS_OK) {
    fprintf(stderr, "bench: %s\n", err.msg);
    return 1;
  }
  fprintf(stderr, "graph %s: %lld nodes, %lld non-zeros, built in %.3f s\n", label,
          (long long)gs_graph_nodes(g), (long long)gs_graph_nnz(g), gs_clock_seconds() - t0);
  gs_profile prof;
  st = gs_profile_measure(&prof, threads, 2.0, &err);
  if (st != GS_OK) {
    fprintf(stderr, "bench: %s\n", err.msg);
    return 1;
  }
  fprintf(stderr, "STREAM triad %.2f GB/s, copy %.2f GB/s, sgemm peak %.1f GFLOP/s (%d threads)\n",
          prof.bandwidth_gbs, prof.copy_gbs, prof.sgemm_gflops_peak, threads);
  printf("{\"bench\":\"machine\",\"threads\":%d,\"stream_triad_gbs\":%.2f,\"stream_copy_gbs\":%.2f,"
         "\"sgemm_peak_gflops\":%.2f}\n",
         threads, prof.bandwidth_gbs, prof.copy_gbs, prof.sgemm_gflops_peak);
  int rc = bench_aggregation(g, label, "original", prof.bandwidth_gbs, threads);
  if (rc == 0) {
    gs_graph *h = NULL;
    t0 = gs_clock_seconds();
    st = gs_graph_reorder_rcm(&h, g, &err);
    if (st != GS_OK) {
      fprintf(stderr, "bench: %s\n", err.msg);
      rc = 1;
    } else {
      fprintf(stderr, "RCM ordering in %.3f s\n", gs_clock_seconds() - t0);
      rc = bench_aggregation(h, label, "rcm", prof.bandwidth_gbs, threads);
      gs_graph_free(&h);
    }
  }
  if (rc == 0) bench_dense(gs_graph_nodes(g), threads);
  gs_graph_free(&g);
  gs_dataset_free(&ds);
  gs_runtime_finalize();
  return rc;
}
