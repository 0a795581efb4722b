/* Tests of gnn/train on real data: Kipf & Welling's Cora model reaches the published
 * accuracy, training is bitwise deterministic for a seed and thread count, training from the
 * binary store equals training from the text, and bad settings are rejected. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "datasets/dataset.h"
#include "datasets/store.h"
#include "gnn/model.h"
#include "gnn/train.h"
#include "sparse/graph.h"
#include "tests/test_files.h"
#include "tests/test_helpers.h"

Suite *gs_train_suite(void);

/* The bar: mean test accuracy over 10 seeds on Cora's public split (paper: 81.5). */
#define CORA_MIN_MEAN_ACCURACY 0.810
#define CORA_SEEDS 10

typedef struct {
  gs_dataset *ds;
  gs_graph *g;
} loaded;

static loaded load(const char *name) {
  loaded l = {0};
  gs_error err;
  gs_dataset_options opts = gs_dataset_options_default();
  gs_status st = gs_dataset_load(&l.ds, gs_test_data(name), &opts, &err);
  GS_ASSERT_OK(st, err);
  gs_dataset_row_normalize(l.ds);
  st = gs_graph_new(&l.g, l.ds->num_nodes, l.ds->src, l.ds->dst, l.ds->num_edge_lines,
                    GS_NORM_SYM, &err);
  GS_ASSERT_OK(st, err);
  return l;
}

static void unload(loaded *l) {
  gs_graph_free(&l->g);
  gs_dataset_free(&l->ds);
}

static gs_train_result train_once(loaded *l, uint64_t seed, int32_t epochs, float *params_out,
                                  int64_t params_cap) {
  gs_model_config cfg = gs_model_config_default(); /* 2 layers, 16 hidden, dropout 0.5 */
  cfg.seed = seed;
  gs_model *m = NULL;
  gs_error err;
  gs_status st = gs_model_new(&m, &cfg, l->g, &l->ds->x, l->ds->num_classes, &err);
  GS_ASSERT_OK(st, err);
  gs_train_options opts = gs_train_options_default();
  opts.epochs = epochs;
  opts.patience = 0;
  gs_train_result r;
  st = gs_train(&r, m, l->ds, &opts, &err);
  GS_ASSERT_OK(st, err);
  if (params_out) {
    const gs_model_layout *L = gs_model_layout_of(m);
    ck_assert_int_le(L->params, params_cap);
    memcpy(params_out, gs_model_params(m), (size_t)L->params * sizeof(float));
  }
  gs_model_free(&m);
  return r;
}

START_TEST(test_cora_kipf_welling_accuracy_over_ten_seeds) {
  GS_TEST_RUNTIME(2);
  loaded l = load("cora");
  ck_assert_int_eq(gs_graph_nnz(l.g), 13264); /* 10556 symmetric entries + 2708 self loops */
  double sum = 0;
  for (uint64_t s = 0; s < CORA_SEEDS; s++) {
    gs_train_result r = train_once(&l, s, 200, NULL, 0);
    sum += r.test_acc;
  }
  double mean = sum / CORA_SEEDS;
  ck_assert_msg(mean >= CORA_MIN_MEAN_ACCURACY, "Cora mean test accuracy %.4f < %.3f", mean,
                CORA_MIN_MEAN_ACCURACY);
  unload(&l);
}
END_TEST

START_TEST(test_training_is_bitwise_deterministic) {
  GS_TEST_RUNTIME(2);
  loaded l = load("cora");
  enum { CAP = 30000 };
  static float a[CAP], b[CAP], c[CAP];
  gs_train_result ra = train_once(&l, 7, 30, a, CAP);
  gs_train_result rb = train_once(&l, 7, 30, b, CAP);
  gs_train_result rc = train_once(&l, 8, 30, c, CAP);
  ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
  ck_assert(memcmp(a, c, sizeof a) != 0);
  ck_assert_double_eq(ra.final_train_loss, rb.final_train_loss);
  ck_assert_double_eq(ra.test_acc, rb.test_acc);
  (void)rc;
  unload(&l);
}
END_TEST

/* A dataset folder as `gnnscale train` opens it through its binary store (gs_store_open:
 * loaded, or rebuilt from the text when damaged), its features and Â prepared as from the
 * text. */
static loaded open_store(const char *dir, gs_store_outcome *oc, char *note, size_t note_cap) {
  loaded l = {0};
  gs_error err;
  GS_ASSERT_OK(gs_store_open(&l.ds, dir, NULL, false, oc, note, note_cap, &err), err);
  ck_assert_ptr_null(l.ds->src); /* the stored adjacency, not edge lines */
  gs_dataset_row_normalize(l.ds);
  GS_ASSERT_OK(gs_dataset_graph_new(&l.g, l.ds, GS_NORM_SYM, &err), err);
  return l;
}

/* Compares two trainings bit for bit: parameters, final loss, accuracies. */
static void assert_same_training(const float *a, const float *b, size_t bytes,
                                 const gs_train_result *ra, const gs_train_result *rb) {
  ck_assert_int_eq(memcmp(a, b, bytes), 0);
  ck_assert_double_eq(ra->final_train_loss, rb->final_train_loss);
  ck_assert_double_eq(ra->best_val_acc, rb->best_val_acc);
  ck_assert_double_eq(ra->test_acc, rb->test_acc);
}

/* Full-batch training from the binary store (built beside a copy of Cora's text, as `train`
 * does on first use) equals training from the text, bit for bit; a store damaged behind a
 * sound header is refused by its section checksum, rebuilt from the text with a note that
 * says why, and trains the same again. */
START_TEST(test_store_loaded_training_equals_text_loaded) {
  GS_TEST_RUNTIME(2);
  gs_test_make_tmp();
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", gs_test_data("cora"), gs_test_path("cora"));
  ck_assert_int_eq(system(cmd), 0);
  const char *dir = gs_test_path("cora");
  char store[4352], note[1200];
  gs_store_outcome oc;
  gs_error err;
  (void)remove(gs_test_path("cora/" GS_STORE_FILE)); /* a store the copy may have brought */
  GS_ASSERT_OK(gs_store_ensure(store, sizeof store, dir, NULL, false, &oc, note, sizeof note, &err),
               err);
  ck_assert_int_eq(oc, GS_STORE_BUILT);

  enum { CAP = 30000 };
  static float from_text[CAP], from_store[CAP], rebuilt[CAP];
  loaded t = load("cora");
  gs_train_result rt = train_once(&t, 7, 30, from_text, CAP);
  unload(&t);
  loaded s = open_store(dir, &oc, note, sizeof note);
  ck_assert_int_eq(oc, GS_STORE_LOADED);
  gs_train_result rs = train_once(&s, 7, 30, from_store, CAP);
  unload(&s);
  assert_same_training(from_text, from_store, sizeof from_text, &rt, &rs);

  /* A byte in the middle of the file (the adjacency's entries): the header still reads. */
  gs_store_info info;
  GS_ASSERT_OK(gs_store_read_info(&info, store, &err), err);
  gs_test_flip_byte(store, (long)(info.file_bytes / 2));
  GS_ASSERT_OK(gs_store_read_info(&info, store, &err), err);
  gs_dataset *bad = NULL;
  ck_assert_int_eq(gs_store_load(&bad, store, &err), GS_ERR_PARSE);
  ck_assert_msg(strstr(err.msg, "checksum mismatch"), "%s", err.msg);
  ck_assert_ptr_null(bad);
  s = open_store(dir, &oc, note, sizeof note);
  ck_assert_int_eq(oc, GS_STORE_REBUILT);
  ck_assert_msg(strstr(note, "checksum mismatch") && strstr(note, "rebuilt from the text"), "%s",
                note);
  gs_train_result rr = train_once(&s, 7, 30, rebuilt, CAP);
  unload(&s);
  assert_same_training(from_text, rebuilt, sizeof from_text, &rt, &rr);
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_deep_residual_layernorm_model_trains) {
  GS_TEST_RUNTIME(2);
  loaded l = load("cora");
  gs_model_config cfg = gs_model_config_default();
  cfg.depth = 16;
  cfg.width = 32;
  cfg.residual = true;
  cfg.norm = true;
  cfg.seed = 1;
  gs_model *m = NULL;
  gs_error err;
  gs_status st = gs_model_new(&m, &cfg, l.g, &l.ds->x, l.ds->num_classes, &err);
  GS_ASSERT_OK(st, err);
  gs_train_options opts = gs_train_options_default();
  opts.epochs = 100;
  gs_train_result r;
  st = gs_train(&r, m, l.ds, &opts, &err);
  GS_ASSERT_OK(st, err);
  /* A 16-layer plain GCN over-smooths towards chance; with residual and norm it learns. */
  ck_assert_msg(r.test_acc > 0.70, "16-layer residual GCN test accuracy %.3f", r.test_acc);
  gs_model_free(&m);
  unload(&l);
}
END_TEST

START_TEST(test_train_rejects_bad_options) {
  GS_TEST_RUNTIME(2);
  loaded l = load("cora");
  gs_model_config cfg = gs_model_config_default();
  gs_model *m = NULL;
  gs_error err;
  gs_status st = gs_model_new(&m, &cfg, l.g, &l.ds->x, l.ds->num_classes, &err);
  GS_ASSERT_OK(st, err);
  gs_train_options opts = gs_train_options_default();
  gs_train_result r;
  opts.epochs = 0;
  ck_assert_int_eq(gs_train(&r, m, l.ds, &opts, &err), GS_ERR_INVALID);
  opts = gs_train_options_default();
  opts.lr = -1;
  ck_assert_int_eq(gs_train(&r, m, l.ds, &opts, &err), GS_ERR_INVALID);
  /* a learning rate that diverges is reported as a numeric error, not a silent NaN */
  opts = gs_train_options_default();
  opts.lr = 1e30;
  opts.epochs = 50;
  st = gs_train(&r, m, l.ds, &opts, &err);
  ck_assert_int_eq(st, GS_ERR_NUMERIC);
  ck_assert(strstr(err.msg, "loss") != NULL);
  gs_model_free(&m);
  unload(&l);
}
END_TEST

Suite *gs_train_suite(void) {
  Suite *s = suite_create("train");
  TCase *tc = tcase_create("train");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_cora_kipf_welling_accuracy_over_ten_seeds);
  tcase_add_test(tc, test_training_is_bitwise_deterministic);
  tcase_add_test(tc, test_store_loaded_training_equals_text_loaded);
  tcase_add_test(tc, test_deep_residual_layernorm_model_trains);
  tcase_add_test(tc, test_train_rejects_bad_options);
  suite_add_tcase(s, tc);
  return s;
}
